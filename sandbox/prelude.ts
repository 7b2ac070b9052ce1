/**
 * The code that runs INSIDE each isolated-vm context before any policy code: jsPolicy's globals, the
 * per-case state, and the hardening that lets one context serve many cases without sharing state.
 *
 * Why one context per policy and not one per case: creating a context costs ~0.7 ms, 70× the cost of a
 * case. So a context is created once per policy and made safe to reuse:
 *  - every built-in reachable from the global object (prototypes, constructors, hidden intrinsics such as
 *    %ArrayIteratorPrototype%) is frozen, so no case can change what the next one sees; writable
 *    properties people commonly override on instances (toString, constructor, name, message, …) become
 *    accessors that define an own property instead, so `obj.toString = f` still works (SES's fix for the
 *    "override mistake");
 *  - the built-in globals become read-only, jsPolicy's globals are accessors over the current case's state,
 *    and after each case every global the case created is deleted; a case that makes that impossible
 *    (a non-configurable global, a non-extensible global object) marks the context tainted and the host
 *    throws it away;
 *  - the policy runs as a function, so its top-level declarations are per-call locals;
 *  - RegExp's legacy statics (RegExp.$1, lastMatch) are reset so one case's matches are not visible next.
 *
 * The ending calls (allow, exit, deny, mutate, requeue) record the verdict in state the policy cannot
 * reach and throw a sentinel. The host rewrites every catch/finally in the policy so the sentinel cannot
 * be swallowed; even if it were (code made by eval), later verdicts are ignored: the first one decides.
 *
 * This file is plain JavaScript in a string: it is evaluated by V8 inside the isolate, never by Node.
 */
export const PRELUDE_SOURCE = String.raw`(function (configJson) {
  'use strict';
  const config = JSON.parse(configJson);
  const G = globalThis;
  const O = Object;
  const defineProperty = O.defineProperty, getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  const getPrototypeOf = O.getPrototypeOf, freeze = O.freeze, isExtensible = O.isExtensible, create = O.create;
  const ownKeys = Reflect.ownKeys, deleteProperty = Reflect.deleteProperty, apply = Reflect.apply;
  const hasOwn = O.prototype.hasOwnProperty;
  const JSONparse = JSON.parse, JSONstringify = JSON.stringify;
  const Str = String, Num = Number, dateNow = Date.now;
  const ErrorToString = Error.prototype.toString;
  const SENTINEL = freeze(create(null));
  const PRELUDE_FILE = config.preludeFile;
  const HARDEN = config.harden !== false;
  const LIMITS = config.limits;
  const has = (o, k) => o != null && apply(hasOwn, o, [k]);
  const clip = (s, n) => (s.length > n ? s.slice(0, n) + '… [' + (s.length - n) + ' more chars]' : s);
  const copy = (v) => (v === undefined ? undefined : JSONparse(JSONstringify(v)));
  // Objects from the API come through Go's map marshalling: keys sorted at every level.
  function sortedCopy(v) {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) { const a = []; for (let i = 0; i < v.length; i++) a.push(sortedCopy(v[i])); return a; }
    const out = {};
    const keys = O.keys(v).sort();
    for (let i = 0; i < keys.length; i++) out[keys[i]] = sortedCopy(v[keys[i]]);
    return out;
  }
  const fromApi = (v) => sortedCopy(copy(v));
  // The resource an API error names (configmaps "x" not found, deployments.apps "x" …): the usual plural.
  function qualifiedResource(kind, apiVersion) {
    const k = Str(kind).toLowerCase();
    const plural = /[^aeiou]y$/.test(k) ? k.slice(0, -1) + 'ies' : /(s|x|z|ch|sh)$/.test(k) ? k + 'es' : k + 's';
    const slash = Str(apiVersion).indexOf('/');
    return slash > 0 ? plural + '.' + Str(apiVersion).slice(0, slash) : plural;
  }
  // metav1.ParseToLabelSelector's grammar (k8s.io/apimachinery labels.Parse): key, !key, key=v, key==v,
  // key!=v, key in (…), key notin (…). Only = and == terms filter (pkg/vm/vm.go 399-409 applies MatchLabels).
  const LABEL_KEY = '(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';
  const LABEL_VALUE = '(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
  const TERM = new RegExp('^\\s*(?:!\\s*(' + LABEL_KEY + ')|(' + LABEL_KEY + ')\\s*(?:(==?|!=)\\s*(' + LABEL_VALUE + ')|\\s(in|notin)\\s*\\(\\s*(' + LABEL_VALUE + '(?:\\s*,\\s*' + LABEL_VALUE + ')*)\\s*\\))?)\\s*$');
  function parseSelector(selector) {
    const terms = [];
    const parts = [];
    let depth = 0, start = 0;
    for (let i = 0; i < selector.length; i++) {
      const c = selector[i];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === ',' && depth === 0) { parts.push(selector.slice(start, i)); start = i + 1; }
    }
    parts.push(selector.slice(start));
    for (let i = 0; i < parts.length; i++) {
      const m = TERM.exec(parts[i]);
      if (!m) throw apiError('ParseLabelSelector', "couldn't parse the selector string \"" + selector + '": unable to parse requirement: invalid term "' + parts[i].trim() + '"');
      if (m[3] === '=' || m[3] === '==') terms.push([m[2], m[4]]);
    }
    return terms;
  }

  let cur = null;
  let policyFn = null;
  let tainted = false;

  // An uncaught error ends the run too: jsPolicy returns it before the result is read, so a verdict a
  // promise job gives afterwards does not count.
  function stopped() { return cur === null || cur.decided !== null || cur.error !== null || cur.closed; }
  function end(verdict) {
    if (!stopped()) cur.decided = verdict;
    throw SENTINEL;
  }
  function guard() { if (stopped()) throw SENTINEL; }
  function text(v) { return v === undefined || v === null ? '' : Str(v); }

  function describe(e) {
    try {
      if (e !== null && typeof e === 'object') {
        if (e instanceof Error || (typeof e.message === 'string' && typeof e.name === 'string')) return apply(ErrorToString, e, []);
        const ctor = e.constructor && typeof e.constructor.name === 'string' ? e.constructor.name : 'Object';
        return '#<' + ctor + '>';
      }
      return Str(e);
    } catch (_) {
      return 'exception';
    }
  }

  // What jsPolicy reports for an uncaught exception (pkg/vm/vm.go 260-276): v8go's StackTrace (the
  // exception's stack property) as "Uncaught <stack>" when there is one, else the exception's own
  // string form with no "Uncaught" (vm_test.go: throw "test" gives "test"). The frames of this
  // prelude's own plumbing are dropped: upstream's script has none below the policy.
  function uncaught(e) {
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const stack = e.stack;
        if (typeof stack === 'string' && stack !== '') {
          const lines = stack.split('\n');
          const kept = [];
          for (let i = 0; i < lines.length; i++) if (lines[i].indexOf(PRELUDE_FILE) < 0) kept.push(lines[i]);
          return 'Uncaught ' + kept.join('\n');
        }
      }
      return Str(e);
    } catch (_) {
      return describe(e);
    }
  }

  function jsonOrString(v) {
    if (typeof v === 'string') return v;
    try {
      const s = JSONstringify(v);
      return s === undefined ? Str(v) : s;
    } catch (_) {
      return Str(v);
    }
  }

  // jsPolicy decodes the script's __response into a Go struct (pkg/webhook/handler.go 90-95, 200-210):
  // a value of the wrong JSON type fails the whole request with encoding/json's UnmarshalTypeError text.
  // Returns that text, or null when the value decodes (undefined is omitted, null leaves the zero value).
  function goField(v, field, goType) {
    if (v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol') return null;
    let kind;
    if (typeof v === 'string') kind = 'string';
    else if (typeof v === 'number') {
      if (v !== v || v === Infinity || v === -Infinity) return null; // JSON.stringify writes null
      kind = 'number';
    } else if (typeof v === 'boolean') kind = 'bool';
    else if (Array.isArray(v)) kind = 'array';
    else kind = 'object';
    if (goType === 'string' && kind === 'string') return null;
    if (goType === 'int' && kind === 'number') {
      if (Num.isInteger(v) && v >= -9223372036854775808 && v <= 9223372036854775807) return null;
      kind = 'number ' + JSONstringify(v);
    }
    if (goType !== 'string' && goType !== 'int' && kind === 'object') return null;
    return 'json: cannot unmarshal ' + kind + ' into Go struct field Response.' + field + ' of type ' + goType;
  }

  function record(fn, args) {
    if (cur.truncated.calls) return;
    // The last slot says the record is incomplete, so a flood of calls cannot hide a later side effect.
    if (cur.calls.length >= LIMITS.calls - 1) { cur.truncated.calls = true; cur.calls.push({ fn: 'calls-truncated', args: '[' + LIMITS.calls + ']' }); return; }
    let json;
    try { json = JSONstringify(args); } catch (e) { json = JSONstringify([describe(e)]); }
    if (json.length > LIMITS.callChars && (fn === 'create' || fn === 'update' || fn === 'remove')) json = writeIdentity(json);
    cur.calls.push({ fn: fn, args: clip(json, LIMITS.callChars) });
  }
  // A write too large to record whole is recorded by what it writes (kind, name, namespace), never as an
  // unreadable clipped prefix: verify() must always see the target. Read from the JSON, so getters run once.
  function writeIdentity(json) {
    const o = JSONparse(json)[0] || {}, m = o.metadata || {};
    return JSONstringify([{ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: m.name, namespace: m.namespace }, recorded: 'identity only: the object has ' + json.length + ' characters' }]);
  }

  function sameObject(a, b) {
    const am = a && a.metadata, bm = b && b.metadata;
    return !!am && !!bm && a.kind === b.kind && a.apiVersion === b.apiVersion && am.name === bm.name && (am.namespace || '') === (bm.namespace || '');
  }
  function fixtureObjects() { return (cur.fixtures && cur.fixtures.objects) || []; }

  const lib = {
    allow: function allow() { end({ kind: 'allow' }); },
    exit: function exit() { end({ kind: 'allow' }); },
    // deny/warn/mutate/requeue store what they are given, as jsPolicy's __response does; the values are
    // decoded as Go would decode them when the run ends (decodeError).
    deny: function deny(message, reason, code) {
      guard();
      const bad = goField(message, 'message', 'string') || goField(reason, 'reason', 'string') || goField(code, 'code', 'int');
      if (bad !== null) end({ kind: 'error', message: bad });
      const m = clip(text(message), LIMITS.messageChars);
      const r = reason === undefined || reason === null || reason === '' ? 'Forbidden' : clip(Str(reason), 256);
      // jsPolicy uses the code when it is positive (as Go's int32), else the 403 of admission.Denied.
      const n = typeof code === 'number' ? code : 0;
      const c = n > 0 ? (n | 0) || 403 : 403;
      end({ kind: 'deny', message: m, reason: r, code: c });
    },
    warn: function warn(message) {
      guard();
      if (cur.badWarning === null) cur.badWarning = goField(message, 'warnings', 'string');
      if (cur.warnings.length >= LIMITS.warnings) { cur.truncated.warnings = true; return; }
      cur.warnings.push(clip(text(message), LIMITS.messageChars));
    },
    mutate: function mutate(obj) {
      guard();
      // jsPolicy stores the value as the patched object: nothing stored means no patch.
      const bad = goField(obj, 'patched', 'map[string]interface {}');
      if (bad !== null) end({ kind: 'error', message: bad });
      if (obj === undefined || obj === null) end({ kind: 'allow' });
      const json = JSONstringify(obj);
      if (json.length > LIMITS.objectChars) throw new RangeError('mutate: the object is larger than ' + LIMITS.objectChars + ' characters');
      end({ kind: 'mutate', object: json });
    },
    requeue: function requeue(message) {
      guard();
      const bad = goField(message, 'message', 'string');
      if (bad !== null) end({ kind: 'error', message: bad });
      const m = clip(text(message), LIMITS.messageChars);
      record('requeue', [m]);
      end({ kind: 'requeue', message: m });
    },
    print: function print() {
      guard();
      if (cur.printed.length >= LIMITS.lines) { cur.truncated.printed = true; return; }
      const parts = [];
      // As jsPolicy's printFn (pkg/vm/vm.go 577-587): strings raw, anything else JSON.stringify'd; what
      // JSON.stringify throws (a circular object, a BigInt) reaches the script, as v8go leaves it pending.
      for (let i = 0; i < arguments.length; i++) {
        const a = arguments[i];
        if (typeof a === 'string') parts.push(a);
        else {
          const j = JSONstringify(a);
          parts.push(j === undefined ? Str(a) : j);
        }
      }
      cur.printed.push(clip(parts.join(' '), LIMITS.lineChars));
    },
    sleep: function sleep(ms) {
      guard();
      if (typeof ms !== 'number' || !(ms > 0)) return;
      let n = ms;
      if (n > 1000) n = 1000;
      cur.virtualMs += n;
      if (cur.virtualMs + (dateNow() - cur.start) > cur.timeoutMs) end({ kind: 'timeout' });
    },
    env: function env(name) {
      guard();
      if (typeof name !== 'string') return undefined;
      record('env', [name]); // the jsPolicy pod's environment is not the request: verify() checks it was declared
      const e = cur.fixtures.env;
      return has(e, name) ? Str(e[name]) : '';
    },
    get: function get(kind, apiVersion, name, options) {
      guard();
      if (typeof kind !== 'string' || typeof apiVersion !== 'string' || typeof name !== 'string') {
        throw apiError('WrongArguments', 'kind, group version and name need to be string values');
      }
      // As jsPolicy: "ns/name" only when the name splits into exactly two parts.
      const parts = name.split('/');
      const ns = parts.length === 2 ? parts[0] : '';
      const n = parts.length === 2 ? parts[1] : name;
      const objs = fixtureObjects();
      for (let i = 0; i < objs.length; i++) {
        const o = objs[i];
        if (o.kind === kind && o.apiVersion === apiVersion && o.metadata.name === n && (o.metadata.namespace || '') === ns) return fromApi(o);
      }
      return undefined;
    },
    list: function list(kind, apiVersion, options) {
      guard();
      if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
        throw apiError('WrongArguments', 'kind and group version need to be string values');
      }
      const opts = options || {};
      const terms = typeof opts.labelSelector === 'string' && opts.labelSelector !== '' ? parseSelector(opts.labelSelector) : [];
      // pkg/vm/vm.go 364-367: 'ConfigMap' and 'ConfigMapList' name the same list
      const listKind = kind.slice(-4) === 'List' ? kind : kind + 'List';
      const out = [];
      const objs = fixtureObjects();
      for (let i = 0; i < objs.length; i++) {
        const o = objs[i];
        if (o.kind + 'List' !== listKind || o.apiVersion !== apiVersion) continue;
        if (opts.namespace && (o.metadata.namespace || '') !== opts.namespace) continue;
        const labels = o.metadata.labels || {};
        let ok = true;
        for (let j = 0; j < terms.length; j++) if (labels[terms[j][0]] !== terms[j][1]) ok = false;
        if (ok) out.push(fromApi(o));
      }
      // jsPolicy's Go side omits an empty list from its answer, so list() gives undefined, not [].
      return out.length ? out : undefined;
    },
    create: function create(obj) { return write('create', obj); },
    update: function update(obj) { return write('update', obj); },
    remove: function remove(obj) { return write('remove', obj); },
    fetchSync: function fetchSync(url, options) {
      guard();
      // jsPolicy throws the error text itself (a string), prefixed "fetchSync: " (pkg/vm/vm.go 593-616, 682-698),
      // after decoding the options into FetchOptions (vm.go 700-705).
      if (arguments.length === 0) throw 'fetchSync: no arguments provided';
      if (typeof url !== 'string') throw 'fetchSync: url is not a string';
      const u = url;
      const opts = options === undefined || options === null ? {} : options;
      const bad = goOption(opts.method, 'method', 'string') || goOption(opts.body, 'body', 'string') || goOption(opts.insecure, 'insecure', 'bool') ||
        (opts.headers !== undefined && opts.headers !== null && (typeof opts.headers !== 'object' || Array.isArray(opts.headers)) ? goOption(opts.headers, 'headers', 'map[string]string') : null);
      if (bad !== null) throw 'fetchSync: error unmarshalling options: ' + bad;
      const method = typeof opts.method === 'string' && opts.method !== '' ? opts.method.toUpperCase() : 'GET';
      record('fetchSync', [u, { method: method }]);
      const answers = cur.fixtures.fetch;
      // Go's url.Error names the method as Get, Post, Put … (net/http client.go)
      const op = method.charAt(0) + method.slice(1).toLowerCase();
      if (!has(answers, u)) throw 'fetchSync: ' + op + ' "' + u + '": the sandbox has no network (no fixture answers this URL)';
      const a = answers[u];
      const status = a.status || 200;
      const body = a.body || '';
      return {
        ok: status >= 200 && status < 300,
        status: status,
        statusText: status + (has(STATUS_TEXT, status) ? ' ' + STATUS_TEXT[status] : ''),
        headers: copy(a.headers || {}),
        text: function text() { return body; },
        json: function json() { return JSONparse(body); },
      };
    },
    readFileSync: function readFileSync(path) {
      guard();
      const files = cur.fixtures.files;
      const p = Str(path);
      record('readFileSync', [p]); // the jsPolicy container's files (its service account token among them)
      return has(files, p) ? Str(files[p]) : undefined;
    },
    // Go's base64.StdEncoding over UTF-8 bytes, undefined on bad input, as jsPolicy's atob/btoa.
    atob: function atob(data) { return typeof data === 'string' ? decode64(data) : undefined; },
    btoa: function btoa(data) { return typeof data === 'string' ? encode64(data) : undefined; },
  };

  const STATUS_TEXT = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

  // What jsPolicy throws for API errors: {reason, message} that prints as "reason: message".
  function goOption(v, field, goType) {
    if (v === undefined || v === null) return null;
    const kind = typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : null;
    if (kind === null || (goType === 'string' && kind === 'string') || (goType === 'bool' && kind === 'bool') || (goType === 'map[string]string' && kind === 'object')) return null;
    return 'json: cannot unmarshal ' + kind + ' into Go struct field FetchOptions.' + field + ' of type ' + goType;
  }

  function apiError(reason, message) {
    return { reason: reason, message: message, toString: function () { return reason + ': ' + message; } };
  }

  function write(fn, obj) {
    guard();
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      const message = 'json: cannot unmarshal ' + (obj === null ? 'null' : Array.isArray(obj) ? 'array' : typeof obj) + ' into Go value of type map[string]interface {}';
      if (fn === 'remove') return { ok: false, reason: 'UnmarshalObject', message: message };
      throw apiError('UnmarshalObject', message);
    }
    record(fn, [obj]);
    const name = obj.metadata && obj.metadata.name;
    const resource = qualifiedResource(obj.kind, obj.apiVersion);
    const objs = fixtureObjects();
    let existing = null;
    for (let i = 0; i < objs.length; i++) if (sameObject(objs[i], obj)) existing = objs[i];
    // As the API server words them (k8s.io/apimachinery errors.NewAlreadyExists / NewNotFound)
    if (fn === 'create' && existing) return { ok: false, reason: 'AlreadyExists', message: resource + ' "' + name + '" already exists' };
    if (fn !== 'create' && !existing) return { ok: false, reason: 'NotFound', message: resource + ' "' + name + '" not found' };
    const out = copy(obj);
    if (fn !== 'remove' && out.metadata && typeof out.metadata === 'object') {
      // What the API server fills in: uid and creationTimestamp on create, a new resourceVersion on every write.
      const prior = existing && existing.metadata ? existing.metadata : {};
      cur.writes = (cur.writes || 0) + 1;
      out.metadata.uid = fn === 'create' ? fakeUid(cur.writes) : (prior.uid || fakeUid(cur.writes));
      out.metadata.resourceVersion = Str((Num(prior.resourceVersion) || 1000) + cur.writes);
      if (fn === 'create') out.metadata.creationTimestamp = new RealDate(virtualNow()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      else if (prior.creationTimestamp) out.metadata.creationTimestamp = prior.creationTimestamp;
    }
    return { ok: true, object: sortedCopy(out) };
  }

  function fakeUid(n) {
    const h = ('00000000' + (n >>> 0).toString(16)).slice(-8);
    return '00000000-0000-4000-8000-0000' + h;
  }

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function utf8Bytes(s) {
    const bytes = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate, as Go writes it
      if (c < 0x80) bytes.push(c);
      else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return bytes;
  }
  function encode64(s) {
    const b = utf8Bytes(s);
    let out = '';
    for (let i = 0; i < b.length; i += 3) {
      const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
    }
    return out;
  }
  function decode64(s) {
    // Go's StdEncoding: padding required, CR and LF ignored, anything else invalid.
    const t = s.replace(/[\r\n]/g, '');
    if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
    const body = t.replace(/=+$/, '');
    if (body.length % 4 === 1) return undefined;
    const bytes = [];
    let bits = 0, acc = 0;
    for (let i = 0; i < body.length; i++) {
      acc = ((acc << 6) | B64.indexOf(body[i])) & 0xffffff;
      bits += 6;
      if (bits >= 8) { bits -= 8; bytes.push((acc >> bits) & 255); }
    }
    return utf8Decode(bytes);
  }
  function utf8Decode(b) {
    let out = '';
    for (let i = 0; i < b.length; ) {
      const c = b[i];
      let cp = 0xfffd, n = 1;
      if (c < 0x80) cp = c;
      else if (c >= 0xc2 && c < 0xe0 && (b[i + 1] & 0xc0) === 0x80) { cp = ((c & 31) << 6) | (b[i + 1] & 63); n = 2; }
      else if (c >= 0xe0 && c < 0xf0 && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80) {
        cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); n = 3;
        if (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000)) { cp = 0xfffd; n = 1; }
      } else if (c >= 0xf0 && c < 0xf5 && (b[i + 1] & 0xc0) === 0x80 && (b[i + 2] & 0xc0) === 0x80 && (b[i + 3] & 0xc0) === 0x80) {
        cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63); n = 4;
        if (cp < 0x10000 || cp > 0x10ffff) { cp = 0xfffd; n = 1; }
      }
      out += Str.fromCodePoint(cp);
      i += n;
    }
    return out;
  }

  // --- what policies never get ----------------------------------------------------------------------
  delete G.FinalizationRegistry; // its callbacks would run during a later case
  // WebAssembly memories and shared buffers live outside the isolate's heap limit, and a never-settling
  // Atomics.waitAsync keeps them alive across cases (and can abort the process). jsPolicy's v8go has
  // none of them for policies to rely on; critic lint says why when code names them.
  delete G.WebAssembly;
  delete G.SharedArrayBuffer;
  delete G.Atomics;
  // Resizable ArrayBuffers grow outside the heap limit too: bound what one case may grow them by.
  const ABproto = ArrayBuffer.prototype;
  for (const method of ['resize', 'transfer', 'transferToFixedLength']) {
    const original = ABproto[method];
    if (typeof original !== 'function') continue;
    const bounded = {
      [method]: function (newLength) {
        const want = newLength === undefined ? 0 : Num(newLength);
        const grows = want > this.byteLength ? want - this.byteLength : 0;
        if (cur !== null && grows > 0) {
          if (cur.grown + grows > LIMITS.bufferGrowthBytes) {
            throw new RangeError('ArrayBuffer.prototype.' + method + ': the sandbox lets one run grow buffers by at most ' + LIMITS.bufferGrowthBytes + ' bytes');
          }
          cur.grown += grows;
        }
        return apply(original, this, arguments);
      },
    }[method];
    defineProperty(bounded, 'length', { value: original.length });
    defineProperty(ABproto, method, { value: bounded, writable: true, enumerable: false, configurable: true });
  }
  // sleep() is virtual: the clock the script reads advances by what it slept, as upstream's real sleep does.
  const RealDate = Date;
  const virtualNow = function now() { return dateNow() + (cur !== null ? cur.virtualMs : 0); };
  defineProperty(RealDate, 'now', { value: virtualNow, writable: true, enumerable: false, configurable: true });
  const VirtualDate = new Proxy(RealDate, {
    construct: function (target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [virtualNow()] : args, newTarget === VirtualDate ? target : newTarget);
    },
    apply: function () { return Str(new RealDate(virtualNow())); },
  });
  defineProperty(RealDate.prototype, 'constructor', { value: VirtualDate, writable: true, enumerable: false, configurable: true });
  defineProperty(G, 'Date', { value: VirtualDate, writable: true, enumerable: false, configurable: true });

  // --- hardening -------------------------------------------------------------------------------------

  // Finding what a case added to the global object must be cheap: Reflect.ownKeys(globalThis) costs
  // ~10 µs (a sorted dictionary walk), Object.keys ~1 µs. Assignments create enumerable properties,
  // which Object.keys sees; the only ways to add a non-enumerable one are these definers, which flag
  // the case for a full sweep whatever their target (a Proxy around the global object would hide it).
  let dirty = false;
  // GLOBAL_CONTEXT (an environment variable of the jsPolicy pod): code jsPolicy runs in every context
  // before the policy (pkg/vm/vm.go 214), as global code, so it may define helpers and polyfills. Here it
  // runs before the built-ins are frozen, and what it defines becomes part of every case's globals.
  if (typeof config.globalContext === 'string' && config.globalContext !== '') (0, eval)(config.globalContext);
  if (HARDEN) harden();
  function harden() {
  function flagging(holder, key) {
    const original = holder[key];
    const wrapped = {
      [key]: function () {
        dirty = true;
        return apply(original, this, arguments);
      },
    }[key];
    defineProperty(wrapped, 'length', { value: original.length });
    defineProperty(holder, key, { value: wrapped, writable: true, enumerable: false, configurable: true });
  }
  flagging(O, 'defineProperty');
  flagging(O, 'defineProperties');
  flagging(Reflect, 'defineProperty');
  flagging(O.prototype, '__defineGetter__');
  flagging(O.prototype, '__defineSetter__');
  flagging(Error, 'captureStackTrace');
  // (Indirect eval needs nothing: its let/const/class stay in the eval's own scope, and its var and
  // function declarations become enumerable globals.)
  const roots = [];
  for (const k of ownKeys(G)) {
    const d = getOwnPropertyDescriptor(G, k);
    if (d) roots.push(d.value, d.get, d.set);
  }
  const extras = [
    function* () {}, async function () {}, async function* () {},
    [][Symbol.iterator](), ''[Symbol.iterator](), new Map()[Symbol.iterator](), new Set()[Symbol.iterator](),
    'a'.matchAll(/a/g), getPrototypeOf(G), (function () { return getOwnPropertyDescriptor(arguments, 'callee').get; })(),
  ];
  try { const seg = new Intl.Segmenter('en').segment('a'); extras.push(seg, seg[Symbol.iterator]()); } catch (_) { /* no Intl.Segmenter */ }
  for (const e of extras) roots.push(e, getPrototypeOf(e));
  for (const k of ownKeys(lib)) roots.push(lib[k]);

  const OVERRIDABLE = ['constructor', 'toString', 'valueOf', 'toLocaleString', 'name', 'message', 'toJSON'];
  const seen = new Set();
  const stack = roots.slice();
  while (stack.length) {
    const o = stack.pop();
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || o === G || seen.has(o)) continue;
    seen.add(o);
    stack.push(getPrototypeOf(o));
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) stack.push(d.value, d.get, d.set);
    }
  }
  function fixOverride(proto, key) {
    const d = getOwnPropertyDescriptor(proto, key);
    if (!d || !('value' in d) || !d.writable || !d.configurable) return;
    const value = d.value;
    defineProperty(proto, key, {
      get: freeze(function () { return value; }),
      set: freeze(function (v) {
        if (this === proto) throw new TypeError('Cannot assign to read only property ' + Str(key) + ' of a shared built-in');
        if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
        defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      }),
      enumerable: d.enumerable,
      configurable: false,
    });
  }
  for (const o of seen) {
    const isProto = has(o, 'constructor') && typeof o.constructor === 'function' && o.constructor.prototype === o;
    if (isProto || o === O.prototype) for (const k of OVERRIDABLE) fixOverride(o, k);
  }
  for (const o of seen) freeze(o);
  }

  // jsPolicy's globals: accessors over the current case, so nothing a case assigns survives it.
  // request, plus what jsPolicy's prepared context also defines: __policy (the policy name) and the
  // webpack bundle's exports object, fresh per case.
  const PER_CASE_DATA = ['request', '__policy', 'exports'];
  const PER_CASE = ownKeys(lib).concat(PER_CASE_DATA);
  for (const name of PER_CASE) {
    defineProperty(G, name, {
      get: freeze(function () {
        if (cur !== null && has(cur.overrides, name)) return cur.overrides[name];
        if (name === 'request') return cur === null ? undefined : cur.request;
        if (name === '__policy') return cur === null ? undefined : cur.policyName;
        if (name === 'exports') {
          if (cur === null) return undefined;
          if (cur.exports === null) cur.exports = {};
          return cur.exports;
        }
        return lib[name];
      }),
      set: freeze(function (v) { if (cur !== null) cur.overrides[name] = v; }),
      enumerable: false,
      configurable: false,
    });
  }
  defineProperty(G, config.stopName, { value: freeze(function () { if (stopped()) throw SENTINEL; }), enumerable: false });
  defineProperty(G, config.doneName, { value: freeze(function () { return stopped(); }), enumerable: false });
  if (HARDEN) hardenGlobals();
  function hardenGlobals() {
  for (const k of ownKeys(G)) {
    const d = getOwnPropertyDescriptor(G, k);
    if (d && d.configurable) {
      if ('value' in d) defineProperty(G, k, { value: d.value, writable: false, enumerable: d.enumerable, configurable: false });
      else defineProperty(G, k, { get: d.get, set: d.set, enumerable: d.enumerable, configurable: false });
    }
  }
  // A second pass over everything now reachable: the accessors and helpers defined above (and the
  // .prototype objects of their functions) must be as immutable as the built-ins.
  const again = [getPrototypeOf(G)];
  for (const k of ownKeys(G)) {
    const d = getOwnPropertyDescriptor(G, k);
    if (d) again.push(d.value, d.get, d.set);
  }
  const frozenSeen = new Set();
  while (again.length) {
    const o = again.pop();
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || o === G || frozenSeen.has(o)) continue;
    frozenSeen.add(o);
    freeze(o);
    again.push(getPrototypeOf(o));
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) again.push(d.value, d.get, d.set);
    }
  }
  }
  const baseline = new Set(ownKeys(G));
  const keysOf = O.keys, symbolsOf = O.getOwnPropertySymbols;
  const baselineEnumerable = keysOf(G).length;
  const baselineSymbols = symbolsOf(G).length;
  const globalProto = getPrototypeOf(G);
  const setPrototypeOf = O.setPrototypeOf;
  const regexReset = /(?:)/;

  function cleanup() {
    // Object.keys misses symbol keys (globalThis[Symbol.for('x')] = …): count those too.
    if (dirty || keysOf(G).length !== baselineEnumerable || symbolsOf(G).length !== baselineSymbols) {
      dirty = false;
      const keys = ownKeys(G);
      for (const k of keys) if (!baseline.has(k) && !deleteProperty(G, k)) tainted = true;
    }
    if (getPrototypeOf(G) !== globalProto) {
      try { setPrototypeOf(G, globalProto); } catch (_) { tainted = true; }
    }
    if (!isExtensible(G)) tainted = true;
    regexReset.exec('');
  }

  let lastResult = null;
  function finish() {
    const s = cur;
    s.closed = true;
    if (HARDEN) cleanup();
    // The result is decoded as jsPolicy's handler decodes it (an error comes first, then the decoding).
    let decided = s.decided, decodeError = null;
    if (s.error === null) {
      if (s.badWarning !== null) decodeError = s.badWarning;
      else if (decided !== null && decided.kind === 'error') decodeError = decided.message;
      if (decodeError !== null) decided = null;
    }
    lastResult = {
      decided: decided, error: s.error, decodeError: decodeError, warnings: s.warnings, printed: s.printed, calls: s.calls,
      virtualMs: s.virtualMs, truncated: s.truncated, tainted: tainted,
    };
    return JSONstringify(lastResult);
  }

  return {
    // The policy's own function is shared by every case and reachable (arguments.callee, f.caller).
    setPolicy: function (fn) { policyFn = freeze(fn); freeze(fn.prototype); },
    // runCase starts a case and returns nothing (or a retry request); the host then calls collect. Between
    // the two calls isolated-vm runs the isolate's promise jobs, as v8go runs them when the script ends
    // and before jsPolicy reads __response: a warn from .then or a deny after await counts.
    runCase: function (inputJson) {
      // A context reused across cases is cleaned before each. If the cleanup left it tainted, the host
      // must run this case in a fresh one.
      if (HARDEN) cleanup();
      if (tainted) return '{"retry":true,"tainted":true}';
      lastResult = null; // abort() must never hand back the previous case's result
      const input = JSONparse(inputJson);
      cur = {
        request: input.request, fixtures: input.fixtures || {}, timeoutMs: input.timeoutMs, start: dateNow(), virtualMs: 0,
        policyName: input.policyName || '', exports: null,
        decided: null, error: null, badWarning: null, warnings: [], printed: [], calls: [], overrides: create(null), closed: false, truncated: {},
        grown: 0,
      };
      try {
        apply(policyFn, G, []);
      } catch (e) {
        if (e !== SENTINEL && cur.decided === null) cur.error = clip(uncaught(e), LIMITS.messageChars);
      }
      return '';
    },
    collect: function () {
      if (cur === null || cur.closed) return lastResult === null ? '{"retry":true,"tainted":true}' : JSONstringify(lastResult);
      return finish();
    },
    // After the host stopped a case (timeout): what it had decided so far, and the same cleanup.
    // Also used when an error escaped after the case had finished (a promise job of the policy threw):
    // the case's own result stands.
    abort: function () {
      if (cur !== null && cur.closed && lastResult !== null) {
        if (HARDEN) cleanup();
        lastResult.tainted = tainted;
        lastResult.afterFinish = true;
        return JSONstringify(lastResult);
      }
      if (cur === null) return JSONstringify({ decided: null, error: null, warnings: [], printed: [], calls: [], virtualMs: 0, truncated: {}, tainted: true });
      return finish();
    },
  };
})`;
