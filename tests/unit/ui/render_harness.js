// Renders pages of the UI (sdk/aloft/ui/static/app.js) in Node against a live server, on a
// minimal DOM, and prints what each page built as JSON lines. No browser, no dependencies.
// Usage: node render_harness.js APP_JS BASE_URL ROUTE...
"use strict";

const [appPath, baseUrl, ...routes] = process.argv.slice(2);

class FakeNode {
  constructor() { this.childNodes = []; this.parentNode = null; }
  append(...nodes) {
    for (const item of nodes) {
      const node = typeof item === "string" ? new FakeText(item) : item;
      if (node instanceof FakeFragment) { for (const c of [...node.childNodes]) this.append(c); node.childNodes = []; continue; }
      if (node.parentNode) node.parentNode.childNodes = node.parentNode.childNodes.filter((c) => c !== node);
      node.parentNode = this;
      this.childNodes.push(node);
    }
  }
  replaceChildren(...nodes) { for (const c of this.childNodes) c.parentNode = null; this.childNodes = []; this.append(...nodes); }
  remove() { if (this.parentNode) this.parentNode.childNodes = this.parentNode.childNodes.filter((c) => c !== this); this.parentNode = null; }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
}

class FakeText extends FakeNode {
  constructor(data) { super(); this.data = String(data); }
  get textContent() { return this.data; }
}

class FakeFragment extends FakeNode {}

class FakeElement extends FakeNode {
  constructor(tag, ns) {
    super();
    this.tagName = tag.toUpperCase();
    this.namespaceURI = ns || "http://www.w3.org/1999/xhtml";
    this.attributes = {};
    this.listeners = {};
    const el = this;
    this.classList = {
      _get: () => (el.attributes.class || "").split(/\s+/).filter(Boolean),
      _set: (list) => { el.attributes.class = list.join(" "); },
      contains(c) { return this._get().includes(c); },
      add(c) { if (!this.contains(c)) this._set([...this._get(), c]); },
      remove(c) { this._set(this._get().filter((x) => x !== c)); },
      toggle(c, force) { const on = force === undefined ? !this.contains(c) : force; if (on) this.add(c); else this.remove(c); return on; },
    };
    this.dataset = new Proxy({}, {
      get: (_, key) => el.attributes["data-" + String(key).replace(/[A-Z]/g, (m) => "-" + m.toLowerCase())],
    });
  }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  querySelectorAll(selector) {
    // Only what app.js asks for: details elements (never open here).
    if (!selector.startsWith("details")) throw new Error("unsupported selector " + selector);
    return [];
  }
  set innerHTML(_) { throw new Error("innerHTML assigned"); }
  set outerHTML(_) { throw new Error("outerHTML assigned"); }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML called"); }
}

const main = new FakeElement("main");
const activity = new FakeElement("span");
const nav = ["assets", "runs", "jobs", "automation", "backfills"].map((section) => {
  const a = new FakeElement("a");
  a.setAttribute("data-section", section);
  return a;
});

global.Node = FakeNode;
global.document = {
  hidden: false,
  createElement: (tag) => new FakeElement(tag),
  createElementNS: (ns, tag) => new FakeElement(tag, ns),
  createTextNode: (text) => new FakeText(text),
  createDocumentFragment: () => new FakeFragment(),
  getElementById: (id) => ({ main, activity })[id] || null,
  querySelectorAll: (selector) => (selector === "#nav a" ? nav : []),
  write() { throw new Error("document.write called"); },
};
global.window = { addEventListener() {} };
global.location = { hash: "" };
const realFetch = global.fetch;
global.fetch = (path, options) => realFetch(baseUrl + path, options);

const app = require(appPath);

function walk(node, out) {
  if (node instanceof FakeElement) {
    out.elements.push({ tag: node.tagName, attrs: node.attributes, text: node.textContent.slice(0, 200) });
  }
  for (const child of node.childNodes) walk(child, out);
  return out;
}

(async () => {
  for (const route of routes) {
    location.hash = route;
    let error = null;
    try { await app.render(); } catch (err) { error = String(err && err.stack || err); }
    const out = walk(main, { route, error, text: main.textContent, elements: [] });
    process.stdout.write(JSON.stringify(out) + "\n");
  }
  process.exit(0);  // pending auto-refresh timers would keep the process alive
})().catch((err) => { console.error(err); process.exit(1); });
