// One language choice for the whole site (committed; loaded after mdbook-tabs'
// theme/tabs.js, which `mdbook-tabs install` writes).
//
// mdbook-tabs switches a global group by exact tab name: choosing "Rust: loom" stores
// "Rust: loom", so a page whose tab is "Rust" (or "Rust: Mutex") keeps Go, and the
// page's other blocks in the group hide every panel. For the group "lang" a choice is a
// language: the part of the tab name before ":" ("Go", "Rust"). It is stored as that,
// and every block of the group shows its first tab of that language.
(() => {
    const GROUP = 'lang';
    const KEY = `mdbook-tabs-${GROUP}`;
    const langOf = (name) => (name || '').split(':')[0].trim();
    const blocks = () => document.querySelectorAll(`.mdbook-tabs-container[data-tabglobal="${GROUP}"]`);

    const show = (container, name) => {
        for (const child of container.children) {
            if (child.classList.contains('mdbook-tabs')) {
                for (const tab of child.children) tab.classList.toggle('active', tab.dataset.tabname === name);
            } else if (child.classList.contains('mdbook-tab-content')) {
                child.classList.toggle('hidden', child.dataset.tabname !== name);
            }
        }
    };

    // The block's tab for `lang`: the exact `preferred` name if the block has it, else
    // its first tab of that language; null when it has none.
    const pick = (container, lang, preferred) => {
        const names = [...container.querySelectorAll(':scope > .mdbook-tabs > .mdbook-tab')]
            .map((t) => t.dataset.tabname);
        if (preferred && names.includes(preferred)) return preferred;
        return names.find((n) => langOf(n) === lang) || null;
    };

    const apply = (lang, preferred) => {
        for (const c of blocks()) {
            const name = pick(c, lang, preferred);
            if (name) show(c, name);
        }
    };

    document.addEventListener('DOMContentLoaded', () => {
        for (const c of blocks()) {
            for (const tab of c.querySelectorAll(':scope > .mdbook-tabs > .mdbook-tab')) {
                // Runs after tabs.js's own handler on the same button.
                tab.addEventListener('click', () => {
                    const lang = langOf(tab.dataset.tabname);
                    localStorage.setItem(KEY, lang);
                    apply(lang, tab.dataset.tabname);
                });
            }
        }
        const stored = localStorage.getItem(KEY);
        if (stored) apply(langOf(stored), null);
    });
})();
