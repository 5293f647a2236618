// Headless Chromium test of the built book.
//
//   BOOK_HTML=book/build/html node --test book/tests/browser/book.test.mjs
//   (or scripts/book.sh: book_browser_test)
//
// Serves BOOK_HTML on 127.0.0.1 (random port) with a tiny static server and
// drives Debian's /usr/bin/chromium (CHROMIUM=...) through playwright-core.
// Optional: BOOK_SCREENSHOT=/tmp/ch01.png saves the tabs page (light theme).
// Always: a full-page screenshot of each top-level page of SUMMARY.md, light theme, and
// of the first page with a figure in the navy theme, under BOOK_SCREENSHOTS (default
// book/build/screenshots/).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(process.env.BOOK_HTML || path.join(here, '../../build/html'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PAGE_TIMEOUT = 30_000;

if (!fs.existsSync(path.join(ROOT, 'index.html'))) {
    throw new Error(`${ROOT}/index.html not found: build the book first (book_build_strict)`);
}

// Every built page, relative to ROOT, with '/' separators.
function listPages(dir, prefix = '') {
    const out = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.isDirectory()) out.push(...listPages(path.join(dir, e.name), rel));
        else if (e.name.endsWith('.html')) out.push(rel);
    }
    return out.sort();
}
const PAGES = listPages(ROOT);
const SCREENSHOTS = path.resolve(process.env.BOOK_SCREENSHOTS || path.join(ROOT, '../screenshots'));

// A data figure must be a real drawing: at least this many shapes, and some text.
const MIN_SHAPES = 20;
const SHAPES = 'path, line, rect, circle, polyline, polygon, ellipse';

const screenshotPath = (rel) => path.join(SCREENSHOTS, `${rel.replace(/\.html$/, '').replace(/\//g, '_')}.png`);

// The top-level entries of SUMMARY.md (unindented links), as built pages.
function topLevelPages() {
    const summary = path.join(ROOT, '../../src/SUMMARY.md');
    const text = fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '';
    const out = [];
    for (const m of text.matchAll(/^(?:- )?\[[^\]]*\]\(([^)]+)\.md\)/gm)) {
        const rel = m[1] === 'introduction' ? 'index.html' : `${m[1]}.html`;
        if (!out.includes(rel) && PAGES.includes(rel)) out.push(rel);
    }
    return out;
}
const TOP = topLevelPages();

const MIME = {
    '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
    '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
    '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
    '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
    '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

function startServer() {
    const server = http.createServer(async (req, res) => {
        try {
            const url = new URL(req.url, 'http://127.0.0.1');
            let file = path.normalize(path.join(ROOT, decodeURIComponent(url.pathname)));
            if (file !== ROOT && !file.startsWith(ROOT + path.sep)) {
                res.writeHead(403).end();
                return;
            }
            let st = await fsp.stat(file).catch(() => null);
            if (st?.isDirectory()) {
                file = path.join(file, 'index.html');
                st = await fsp.stat(file).catch(() => null);
            }
            if (!st?.isFile()) {
                res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
                return;
            }
            res.writeHead(200, {
                'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
                'content-length': st.size,
                'cache-control': 'no-store',
            });
            fs.createReadStream(file).pipe(res);
        } catch (e) {
            res.writeHead(500).end(String(e));
        }
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server, origin, context, userDataDir;
const offsite = []; // every request to a host other than our server

before(async () => {
    server = await startServer();
    origin = `http://127.0.0.1:${server.address().port}`;
    userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cmap-book-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1280, height: 900 },
        colorScheme: 'light',
    });
    context.setDefaultTimeout(PAGE_TIMEOUT);
    // Nothing may leave localhost: record and abort anything else.
    await context.route('**/*', (route) => {
        const u = new URL(route.request().url());
        if (u.origin === origin) return route.continue();
        offsite.push(route.request().url());
        return route.abort('blockedbyclient');
    });
});

after(async () => {
    await context?.close();
    await new Promise((r) => (server ? server.close(r) : r()));
    if (userDataDir) await fsp.rm(userDataDir, { recursive: true, force: true });
});

// Opens `rel` in a new tab and collects everything that went wrong there.
async function openPage(rel) {
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url || '?'})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    const resp = await page.goto(`${origin}/${rel}`, { waitUntil: 'load' });
    assert.equal(resp.status(), 200, `${rel}: HTTP ${resp.status()}`);
    await page.waitForLoadState('networkidle');
    return { page, problems };
}

// Waits until every mermaid block has been replaced by an SVG; returns
// [number of diagrams, problems] (blocks that did not render, or rendered
// mermaid's "Syntax error" picture).
async function checkMermaid(page) {
    const count = await page.locator('pre.mermaid').count();
    if (count === 0) return [0, []];
    await page.waitForFunction(
        () => [...document.querySelectorAll('pre.mermaid')].every((p) => p.querySelector('svg')),
        null, { timeout: 15_000 },
    ).catch(() => { });
    const state = await page.$$eval('pre.mermaid', (pres) => pres.map((p, i) => {
        const svg = p.querySelector('svg');
        if (!svg) return `diagram ${i + 1} did not render to <svg>: ${p.textContent.trim().slice(0, 80)}`;
        if (svg.getAttribute('aria-roledescription') === 'error' || svg.querySelector('.error-icon, .error-text')) {
            const words = [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).join(' ');
            return `diagram ${i + 1} rendered mermaid's error picture: ${words.slice(0, 120)}`;
        }
        const box = svg.getBoundingClientRect();
        if (box.width < 20 || box.height < 20) return `diagram ${i + 1} rendered empty (${box.width}x${box.height})`;
        const words = [...svg.querySelectorAll('text, foreignObject, .nodeLabel, .edgeLabel, tspan')]
            .map((t) => t.textContent.trim()).filter(Boolean);
        const shapes = svg.querySelectorAll('path, line, rect, circle, polyline, polygon, ellipse').length;
        if (words.length === 0) return `diagram ${i + 1} rendered no text`;
        if (shapes < 3) return `diagram ${i + 1} rendered only ${shapes} shapes`;
        return null;
    }).filter(Boolean));
    return [count, state.map((s) => `mermaid: ${s}`)];
}

// Returns one problem per <img> that did not load.
async function checkImages(page) {
    await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 10_000 })
        .catch(() => { });
    const broken = await page.$$eval('img', (imgs) =>
        imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute('src')));
    return [...new Set(broken)].map((src) => `image did not load: ${src}`);
}

// Loads every <img src="*.svg"> of the page again (fetch, in the page) and checks it is
// a drawing: well-formed SVG, at least MIN_SHAPES shapes, non-empty <text>. Returns
// [number of figures, problems naming each figure].
async function checkFigures(page) {
    const found = await page.$$eval('main img', async (imgs, [minShapes, shapes]) => {
        const srcs = [...new Set(imgs.map((i) => i.getAttribute('src')).filter((s) => /\.svg($|[?#])/i.test(s || '')))];
        const out = [];
        for (const src of srcs) {
            let why = null;
            try {
                const r = await fetch(new URL(src, document.baseURI));
                if (!r.ok) {
                    why = `HTTP ${r.status}`;
                } else {
                    const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
                    const svg = doc.documentElement;
                    if (doc.querySelector('parsererror') || svg.localName !== 'svg') {
                        why = 'is not well-formed SVG';
                    } else {
                        const n = svg.querySelectorAll(shapes).length;
                        const text = [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean);
                        if (n < minShapes) why = `has only ${n} drawn elements (${shapes}; want >= ${minShapes})`;
                        else if (text.length === 0) why = 'has no non-empty <text> (no title, labels or legend)';
                    }
                }
            } catch (e) {
                why = `could not be fetched: ${e}`;
            }
            out.push([src, why]);
        }
        return out;
    }, [MIN_SHAPES, SHAPES]);
    return [found.length, found.filter(([, why]) => why).map(([src, why]) => `figure ${src} ${why}`)];
}

describe('every built page', () => {
    test('the book has pages', () => {
        assert.ok(PAGES.includes('index.html') && PAGES.includes('print.html'), `pages: ${PAGES.join(', ')}`);
    });
    let diagrams = 0;
    let figures = 0;
    for (const rel of PAGES) {
        test(rel, async () => {
            const before = offsite.length;
            const { page, problems } = await openPage(rel);
            try {
                const [n, mermaidProblems] = await checkMermaid(page);
                diagrams += n;
                const imageProblems = await checkImages(page);
                const [f, figureProblems] = rel === 'print.html' ? [0, []] : await checkFigures(page);
                figures += f;
                if (TOP.includes(rel)) {
                    await fsp.mkdir(SCREENSHOTS, { recursive: true });
                    await page.screenshot({ path: screenshotPath(rel), fullPage: true });
                }
                await page.waitForTimeout(100); // late console errors from start-up scripts
                const all = [
                    ...offsite.slice(before).map((u) => `request to another host: ${u}`),
                    ...mermaidProblems, ...imageProblems, ...figureProblems, ...problems,
                ];
                assert.deepEqual(all, [], `${rel}:\n  ${all.join('\n  ')}`);
            } finally {
                await page.close();
            }
        });
    }
    test('at least one mermaid diagram was rendered', () => {
        assert.ok(diagrams > 0, 'no pre.mermaid found on any page (introduction.md should have one)');
    });
    test('at least one data figure (<img src=...svg>) was checked', () => {
        assert.ok(figures > 0, 'no <img src="*.svg"> in any page\'s <main>');
    });
});

describe('tabs', () => {
    // Clicks every tab of every tabs block (mdbook-tabs): its panel shows and
    // the block's other panels hide. At least one block must have a Go tab and
    // a Rust tab (a tab named "Rust" or "Rust: ...").
    test('clicking a Rust tab shows the Rust panel and hides Go, and back', async () => {
        const withTabs = PAGES.filter((p) => p !== 'print.html'
            && fs.readFileSync(path.join(ROOT, p), 'utf8').includes('mdbook-tabs-container'));
        assert.ok(withTabs.length > 0, 'no page with a tabs block (.mdbook-tabs-container)');
        let goRust = 0;
        for (const rel of withTabs) {
            const { page, problems } = await openPage(rel);
            try {
                const boxes = page.locator('.mdbook-tabs-container');
                for (let b = 0; b < await boxes.count(); b++) {
                    const box = boxes.nth(b);
                    const names = await box.locator(':scope > nav > button.mdbook-tab')
                        .evaluateAll((bs) => bs.map((x) => x.dataset.tabname));
                    const panel = (n) => box.locator(`:scope > .mdbook-tab-content[data-tabname="${n}"]`);
                    const tab = (n) => box.locator(`:scope > nav > button.mdbook-tab[data-tabname="${n}"]`);
                    const where = `${rel} tabs block ${b + 1} [${names.join(' | ')}]`;
                    const showing = async () => {
                        const vis = [];
                        for (const n of names) if (await panel(n).isVisible()) vis.push(n);
                        return vis;
                    };
                    assert.deepEqual(await showing(), [names[0]], `${where}: at first only the first panel shows`);
                    const goName = names.find((n) => n === 'Go');
                    const rustName = names.find((n) => /^Rust\b/.test(n));
                    const order = goName && rustName
                        ? [rustName, goName, ...names.filter((n) => n !== rustName && n !== goName), goName]
                        : [...names.slice(1), names[0]];
                    for (const n of order) {
                        await tab(n).click();
                        assert.deepEqual(await showing(), [n], `${where}: after clicking "${n}"`);
                        assert.match(await tab(n).getAttribute('class'), /\bactive\b/, `${where}: "${n}" not marked active`);
                    }
                    if (goName && rustName) goRust++;
                }
                if (process.env.BOOK_SCREENSHOT && rel.startsWith('ch01/')) {
                    // Viewport shot with the first tabs block (and a diagram, if
                    // the page has one above it) in view.
                    await page.locator('.mdbook-tabs-container').first().scrollIntoViewIfNeeded();
                    await page.evaluate(() => window.scrollBy(0, -200));
                    await page.screenshot({ path: process.env.BOOK_SCREENSHOT });
                }
                assert.deepEqual(problems, [], `${rel}:\n  ${problems.join('\n  ')}`);
            } finally {
                await page.close();
            }
        }
        assert.ok(goRust > 0, `no tabs block with a "Go" tab and a "Rust..." tab (pages: ${withTabs.join(', ')})`);
    });
});

describe('tabs across pages', () => {
    // mdbook-tabs keeps a global group's choice in localStorage (mdbook-tabs-lang): a
    // Rust tab clicked on one page must be the active tab on the next page with tabs.
    test('the Go/Rust choice persists across a page change', async () => {
        const names = (rel) => {
            const html = fs.readFileSync(path.join(ROOT, rel), 'utf8');
            const out = new Set();
            for (const m of html.matchAll(/<div class="mdbook-tabs-container" data-tabglobal="lang">\s*<nav class="mdbook-tabs">([\s\S]*?)<\/nav>/g)) {
                for (const n of m[1].matchAll(/data-tabname="([^"]*)"/g)) out.add(n[1]);
            }
            return out;
        };
        const withGlobal = PAGES.filter((p) => p !== 'print.html' && names(p).size > 0);
        assert.ok(withGlobal.length >= 2,
            `want two pages with {{#tabs global="lang" }} blocks, found: ${withGlobal.join(', ') || 'none'}`);
        const first = withGlobal[0];
        const { page, problems } = await openPage(first);
        const globalBoxes = '.mdbook-tabs-container[data-tabglobal="lang"]';
        // Every global block on the page: its active tab and the panels shown.
        const state = () => page.$$eval(globalBoxes, (boxes) => boxes.map((b) => ({
            tabs: [...b.querySelectorAll(':scope > nav > button.mdbook-tab')].map((t) => t.dataset.tabname),
            active: b.querySelector(':scope > nav > button.mdbook-tab.active')?.dataset.tabname,
            shown: [...b.querySelectorAll(':scope > .mdbook-tab-content')]
                .filter((c) => getComputedStyle(c).display !== 'none').map((c) => c.dataset.tabname),
        })));
        const expectRust = (where, blocks) => blocks.forEach((b, i) => {
            if (!b.tabs.some((n) => /^Rust\b/.test(n))) return;
            assert.match(b.active || '(none)', /^Rust\b/,
                `${where} tabs block ${i + 1} [${b.tabs.join(' | ')}]: after choosing Rust on ${first}, the active tab is ${b.active || 'none'}`);
            assert.ok(b.shown.length === 1 && b.shown[0] === b.active,
                `${where} tabs block ${i + 1} [${b.tabs.join(' | ')}]: panels shown ${JSON.stringify(b.shown)}, want only "${b.active}"`);
        });
        try {
            const rust = page.locator(`${globalBoxes} > nav > button.mdbook-tab`).filter({ hasText: /^\s*Rust\b/ }).first();
            assert.ok(await rust.count(), `${first}: no "Rust..." tab in a global="lang" tabs block`);
            const clicked = await rust.getAttribute('data-tabname');
            await rust.click();
            assert.equal(await page.evaluate(() => localStorage.getItem('mdbook-tabs-lang')), 'Rust',
                `${first}: clicking "${clicked}" did not store the language "Rust" in mdbook-tabs-lang`);
            expectRust(first, await state());
            // The next page: preferably one without the clicked tab's exact name, so
            // the language (not the name) has to carry.
            const second = withGlobal.slice(1).find((p) => !names(p).has(clicked)) || withGlobal[1];
            const link = page.locator(`main a[href$="${path.basename(second)}"]`).first();
            if (await link.count() && await link.isVisible()) await link.click();
            else await page.goto(`${origin}/${second}`, { waitUntil: 'load' });
            await page.waitForURL((u) => u.pathname.endsWith(`/${second}`));
            await page.waitForLoadState('networkidle');
            const blocks = await state();
            assert.ok(blocks.length > 0, `${second}: no global="lang" tabs block after the page change`);
            expectRust(`${second} (after a page change)`, blocks);
            assert.deepEqual(problems, [], `${first} -> ${second}:\n  ${problems.join('\n  ')}`);
        } finally {
            await page.evaluate(() => localStorage.removeItem('mdbook-tabs-lang')).catch(() => { });
            await page.close();
        }
    });
});

describe('dark theme', () => {
    // mdBook keeps the theme in localStorage (mdbook-theme); navy is the book's
    // preferred dark theme. Every page with a figure or a diagram must still render
    // them: figures load and are drawings, mermaid renders text and shapes.
    test('navy renders figures and mermaid diagrams', async () => {
        // Per folder, the first page with a diagram and the first with a figure (the
        // light pass checked every one of them; this one checks the theme), so the run
        // stays short.
        const seen = new Set();
        const pages = PAGES.filter((p) => {
            if (p === 'print.html') return false;
            const html = fs.readFileSync(path.join(ROOT, p), 'utf8');
            const kinds = [];
            if (html.includes('class="mermaid"')) kinds.push('mermaid');
            if (/<img[^>]+src="[^"]+\.svg"/.test(html)) kinds.push('figure');
            const fresh = kinds.filter((k) => !seen.has(`${path.dirname(p)} ${k}`));
            fresh.forEach((k) => seen.add(`${path.dirname(p)} ${k}`));
            return fresh.length > 0;
        });
        assert.ok(pages.length > 0, 'no page with a figure or a mermaid diagram');
        const setup = await context.newPage();
        await setup.goto(`${origin}/index.html`);
        await setup.evaluate(() => localStorage.setItem('mdbook-theme', 'navy'));
        await setup.close();
        const failures = [];
        let shot = false;
        try {
            for (const rel of pages) {
                const { page, problems } = await openPage(rel);
                try {
                    const theme = await page.evaluate(() => document.documentElement.className);
                    if (!/\bnavy\b/.test(theme)) {
                        failures.push(`${rel}: the navy theme is not applied (html class "${theme}")`);
                        continue;
                    }
                    const [, mermaidProblems] = await checkMermaid(page);
                    const imageProblems = await checkImages(page);
                    const [n, figureProblems] = await checkFigures(page);
                    for (const p of [...mermaidProblems, ...imageProblems, ...figureProblems, ...problems]) {
                        failures.push(`${rel} (navy): ${p}`);
                    }
                    if (!shot && n > 0) {
                        await fsp.mkdir(SCREENSHOTS, { recursive: true });
                        await page.locator('main img').first().scrollIntoViewIfNeeded();
                        await page.screenshot({ path: path.join(SCREENSHOTS, `navy-${rel.replace(/[/.]/g, '_')}.png`) });
                        shot = true;
                    }
                } finally {
                    await page.close();
                }
            }
        } finally {
            const reset = await context.newPage();
            await reset.goto(`${origin}/index.html`);
            await reset.evaluate(() => localStorage.removeItem('mdbook-theme'));
            await reset.close();
        }
        assert.deepEqual(failures, [], failures.join('\n'));
    });
});

describe('screenshots', () => {
    // Taken by the page loop above: one full-page screenshot per top-level SUMMARY.md
    // entry, light theme, for a reviewer to look at (book/build/screenshots/<page>.png).
    test('a screenshot of each top-level page was written', async () => {
        assert.ok(TOP.length >= 5, `top-level pages from SUMMARY.md: ${TOP.join(', ') || 'none'}`);
        for (const rel of TOP) {
            const file = screenshotPath(rel);
            const size = await fsp.stat(file).then((st) => st.size, () => 0);
            assert.ok(size > 10_000, `${rel}: screenshot ${file} ${size ? `is only ${size} bytes` : 'was not written'}`);
        }
    });
});

describe('search', () => {
    test('pressing s opens search, and a query finds the chapter 1 page', async () => {
        const { page, problems } = await openPage('index.html');
        try {
            await page.locator('body').press('s');
            const bar = page.locator('#mdbook-searchbar');
            await bar.waitFor({ state: 'visible', timeout: 5_000 });
            // searcher.js searches on keyup: fill, then a key press.
            await bar.fill('concurrent map writes');
            await bar.press('End');
            const hit = page.locator('#mdbook-searchresults a[href*="ch01/why-maps-break.html"]');
            await hit.first().waitFor({ state: 'visible', timeout: 10_000 });
            await hit.first().click();
            await page.waitForURL(/ch01\/why-maps-break\.html/);
            assert.ok((await page.locator('main h1').first().textContent()).trim(), 'chapter page has no <h1>');
            assert.deepEqual(problems, [], problems.join('\n'));
        } finally {
            await page.close();
        }
    });
});
