// Mermaid start-up for mdBook 0.5 (committed; replaces the mermaid-init.js that
// `mdbook-mermaid install` writes, which looks up the mdBook 0.4 theme button ids
// `light`, `ayu`, ... and throws a TypeError on every page under mdBook 0.5,
// where the ids are `mdbook-theme-light`, `mdbook-theme-ayu`, ...).
// Based on mdbook-mermaid's asset (MPL-2.0).
(() => {
    const darkThemes = ['ayu', 'navy', 'coal'];
    const lightThemes = ['light', 'rust'];

    const classList = document.documentElement.classList;
    const lastThemeWasLight = !darkThemes.some((t) => classList.contains(t));

    mermaid.initialize({ startOnLoad: true, theme: lastThemeWasLight ? 'default' : 'dark' });

    // Mermaid renders once; re-render in the new colours by reloading the page
    // when the reader switches between a light and a dark theme.
    const onClick = (names, reloadIf) => {
        for (const name of names) {
            const button = document.getElementById('mdbook-theme-' + name);
            if (button) {
                button.addEventListener('click', () => {
                    if (reloadIf()) {
                        window.location.reload();
                    }
                });
            }
        }
    };
    onClick(darkThemes, () => lastThemeWasLight);
    onClick(lightThemes, () => !lastThemeWasLight);
})();
