// node-fetch 2 (used by @kubernetes/client-node) only falls back to the whatwg-url package when
// Node has no global URL; Node 20 has one. The job bundle maps whatwg-url here to leave out its
// unicode tables (about 290 KB minified).
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };
