// The review page: plain JavaScript served as is (no build step). It talks to the same API as any client;
// the browser authenticates with the session cookie from POST /v1/session. Everything shown is built with
// DOM APIs and textContent, never innerHTML with data, so skill code or intent text cannot inject markup.

const $ = (selector) => document.querySelector(selector);
const TRANSITIONS = { candidate: ['approved', 'rejected'], approved: ['deprecated'], rejected: [], deprecated: [] };
const TERMINAL = new Set(['completed', 'failed']);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null && child !== false)
      node.append(child instanceof Node ? child : String(child));
  return node;
}

function status(text, isError = false) {
  const node = $('#status');
  node.textContent = text;
  node.classList.toggle('error', isError);
}

async function api(path, init = {}) {
  const response = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: {
      accept: 'application/json',
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  if (response.status === 401) {
    showLogin();
    throw new Error('sign in first');
  }
  const body = response.status === 204 ? undefined : await response.json();
  if (!response.ok)
    throw new Error(`${body?.error?.code ?? response.status}: ${body?.error?.message ?? response.statusText}`);
  return body;
}

// ---------------------------------------------------------------------------------------------------------
// JavaScript highlighting: a small tokenizer (comments, strings, template literals, numbers, keywords).

const KEYWORDS = new Set(
  'async await break case catch class const continue default delete do else export false for function if in instanceof let new null of return switch this throw true try typeof undefined var void while'.split(
    ' ',
  ),
);
const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_$][\w$]*)(?=\s*\()|([A-Za-z_$][\w$]*)/g;

function highlight(code) {
  const out = el('code', { class: 'language-js' });
  let last = 0;
  for (const match of code.matchAll(TOKEN)) {
    if (match.index > last) out.append(code.slice(last, match.index));
    const [text, comment, string, number, call, word] = match;
    const kind = comment
      ? 'com'
      : string
        ? 'str'
        : number
          ? 'num'
          : call
            ? KEYWORDS.has(call)
              ? 'kw'
              : 'fn'
            : KEYWORDS.has(word)
              ? 'kw'
              : undefined;
    out.append(kind ? el('span', { class: `tok-${kind}` }, text) : text);
    last = match.index + text.length;
  }
  out.append(code.slice(last));
  return el('pre', {}, out);
}

// ---------------------------------------------------------------------------------------------------------
// Sign-in

function showLogin() {
  $('#login').hidden = false;
  for (const view of document.querySelectorAll('.view')) view.hidden = true;
  $('#logout').hidden = true;
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = $('#token').value.trim();
  const response = await fetch('/v1/session', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    credentials: 'same-origin',
  });
  $('#token').value = '';
  if (!response.ok) {
    $('#login-error').textContent = 'That token was not accepted.';
    return;
  }
  $('#login-error').textContent = '';
  $('#login').hidden = true;
  start();
});

$('#logout').addEventListener('click', async () => {
  await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin' });
  showLogin();
});

// ---------------------------------------------------------------------------------------------------------
// Views

let currentView = 'skills';
for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => showView(tab.dataset.view));

function showView(name) {
  currentView = name;
  for (const tab of document.querySelectorAll('.tab'))
    tab.setAttribute('aria-selected', String(tab.dataset.view === name));
  $('#skills-view').hidden = name !== 'skills';
  $('#intents-view').hidden = name !== 'intents';
  if (name === 'skills') loadSkills();
  else loadIntents();
}

// ---------------------------------------------------------------------------------------------------------
// Skill library

let selectedSkill;
let searchTimer;
$('#skill-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(loadSkills, 200);
});
$('#state-filter').addEventListener('change', loadSkills);
$('#skill-filters').addEventListener('submit', (event) => {
  event.preventDefault();
  loadSkills();
});

async function loadSkills() {
  const params = new URLSearchParams();
  const q = $('#skill-search').value.trim();
  const state = $('#state-filter').value;
  if (q) params.set('q', q);
  if (state) params.set('state', state);
  // A search is ranked (best first) and sees approved skills only unless asked: reviewers search the
  // candidates too (after the approved ones); rejected and deprecated ones by picking that state.
  if (q && !state) params.set('candidates', 'true');
  try {
    const { skills } = await api(`/v1/skills?${params}`);
    $('#skill-count').textContent = `${skills.length} skill${skills.length === 1 ? '' : 's'}`;
    $('#skill-list').replaceChildren(
      ...skills.map((skill) =>
        el(
          'li',
          {},
          el(
            'button',
            {
              type: 'button',
              'data-skill-id': skill.id,
              'aria-current': String(skill.id === selectedSkill),
              onclick: () => openSkill(skill.id),
            },
            el('span', {}, skill.id),
            el('span', { class: `badge state-${skill.state}` }, skill.state),
          ),
        ),
      ),
    );
    status('');
  } catch (err) {
    status(err.message, true);
  }
}

async function openSkill(id) {
  selectedSkill = id;
  for (const b of document.querySelectorAll('#skill-list button'))
    b.setAttribute('aria-current', String(b.dataset.skillId === id));
  try {
    renderSkill(await api(`/v1/skills/${encodeURIComponent(id)}`));
  } catch (err) {
    status(err.message, true);
  }
}

function renderSkill(skill) {
  const p = skill.provenance ?? {};
  const allowed = TRANSITIONS[skill.state] ?? [];
  const comment = el('textarea', {
    id: 'review-comment',
    rows: 2,
    placeholder: 'Comment (why approve, reject or deprecate)',
  });
  const reviewer = el('input', {
    id: 'reviewer',
    placeholder: 'Your name',
    value: localStorage.getItem('pf-reviewer') ?? '',
  });
  const act = (state) => async () => {
    try {
      if (reviewer.value.trim()) localStorage.setItem('pf-reviewer', reviewer.value.trim());
      const updated = await api(`/v1/skills/${encodeURIComponent(skill.id)}/review`, {
        method: 'POST',
        body: JSON.stringify({
          state,
          ...(comment.value.trim() ? { comment: comment.value.trim() } : {}),
          ...(reviewer.value.trim() ? { reviewer: reviewer.value.trim() } : {}),
        }),
      });
      status(`${updated.id} is now ${updated.state}`);
      renderSkill(updated);
      loadSkills();
    } catch (err) {
      status(err.message, true);
    }
  };
  $('#skill-detail').replaceChildren(
    el(
      'h2',
      {},
      skill.name,
      ' ',
      el('span', { class: 'muted' }, `v${skill.version}`),
      ' ',
      el('span', { id: 'skill-state', class: `badge state-${skill.state}` }, skill.state),
    ),
    el('p', {}, skill.description),
    el('h3', {}, 'Code'),
    highlight(skill.code),
    el('h3', {}, `Tests (${skill.tests.length})`),
    skill.tests.length
      ? el(
          'table',
          { id: 'skill-tests' },
          el('tr', {}, el('th', {}, 'name'), el('th', {}, 'arguments'), el('th', {}, 'expected')),
          ...skill.tests.map((t) =>
            el(
              'tr',
              {},
              el('td', {}, t.name),
              el('td', {}, el('code', {}, JSON.stringify(t.args))),
              el('td', {}, el('code', {}, JSON.stringify(t.expected))),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'No tests recorded.'),
    el('h3', {}, 'Provenance'),
    el(
      'dl',
      { id: 'skill-provenance' },
      el('dt', {}, 'source'),
      el('dd', {}, p.source ?? '—'),
      el('dt', {}, 'intent'),
      el('dd', {}, p.intent ?? '—'),
      el('dt', {}, 'model'),
      el('dd', {}, p.model ?? '—'),
      el('dt', {}, 'round'),
      el('dd', {}, p.round ?? '—'),
      el('dt', {}, 'date'),
      el('dd', {}, p.date ?? '—'),
      el('dt', {}, 'used'),
      el('dd', {}, `${skill.usage?.used ?? 0} times, retrieved ${skill.usage?.retrieved ?? 0}`),
      el('dt', {}, 'depends on'),
      el('dd', {}, (skill.dependsOn ?? []).join(', ') || '—'),
    ),
    skill.reviews?.length ? el('h3', {}, 'Reviews') : '',
    skill.reviews?.length
      ? el(
          'ul',
          { id: 'skill-reviews' },
          ...skill.reviews.map((r) =>
            el(
              'li',
              {},
              `${r.at.slice(0, 16).replace('T', ' ')} ${r.reviewer}: ${r.state}${r.comment ? ` — ${r.comment}` : ''}`,
            ),
          ),
        )
      : '',
    el(
      'div',
      { class: 'review-box' },
      el('h3', {}, 'Review'),
      reviewer,
      comment,
      el(
        'div',
        { class: 'actions' },
        el(
          'button',
          { type: 'button', id: 'approve', disabled: !allowed.includes('approved'), onclick: act('approved') },
          'Approve',
        ),
        el(
          'button',
          { type: 'button', id: 'reject', disabled: !allowed.includes('rejected'), onclick: act('rejected') },
          'Reject',
        ),
        el(
          'button',
          { type: 'button', id: 'deprecate', disabled: !allowed.includes('deprecated'), onclick: act('deprecated') },
          'Deprecate',
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Intent history

let intentStream;

$('#intent-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('#intent-text').value.trim();
  if (!text) return;
  try {
    // Existing objects to replay the verified policy against (the impact preview): uploaded as they are,
    // then named by id, so a large file is not squeezed into the JSON body.
    const file = $('#intent-against').files?.[0];
    let againstId;
    if (file) {
      const upload = { method: 'POST', body: await file.text(), headers: { 'content-type': 'text/plain' } };
      ({ againstId } = await api('/v1/against', upload));
    }
    const body = JSON.stringify({ text, ...(againstId ? { againstId } : {}) });
    const { id, deduplicated } = await api('/v1/intents', { method: 'POST', body });
    status(deduplicated ? `already running as ${id}` : `submitted as ${id}`);
    $('#intent-text').value = '';
    $('#intent-against').value = '';
    await loadIntents();
    openIntent(id);
  } catch (err) {
    status(err.message, true);
  }
});

async function loadIntents() {
  try {
    const { intents } = await api('/v1/intents?limit=100');
    $('#intent-list').replaceChildren(
      ...intents.map((i) =>
        el(
          'li',
          {},
          el(
            'button',
            { type: 'button', 'data-intent-id': i.id, onclick: () => openIntent(i.id) },
            el('span', {}, i.text),
            el('span', { class: `badge state-${i.status ?? i.state}` }, i.status ?? i.state),
          ),
          // What the policy does, rendered from its cases (not the intent): an inversion shows here at a glance.
          i.restatement
            ? el(
                'p',
                { class: 'restatement muted' },
                `${i.restatement}${i.judged === false ? ' (not independently judged)' : ''}`,
              )
            : '',
          // Beside it, what it would do to the objects sent with the intent.
          i.impact
            ? el(
                'p',
                { class: `impact ${i.overThreshold ? 'error' : 'muted'}` },
                `impact: ${i.impact}${i.overThreshold ? ' — above the deny threshold' : ''}`,
              )
            : '',
        ),
      ),
    );
  } catch (err) {
    status(err.message, true);
  }
}

async function openIntent(id) {
  intentStream?.abort();
  try {
    const view = await api(`/v1/intents/${encodeURIComponent(id)}`);
    renderIntent(view);
    if (!TERMINAL.has(view.state)) follow(id);
  } catch (err) {
    status(err.message, true);
  }
}

/** Follows the SSE stream with fetch (EventSource cannot send credentials headers; the cookie works either way). */
async function follow(id) {
  const controller = new AbortController();
  intentStream = controller;
  try {
    const response = await fetch(`/v1/intents/${encodeURIComponent(id)}/events`, {
      credentials: 'same-origin',
      signal: controller.signal,
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'progress') status(`round ${JSON.parse(data).round ?? ''} ${JSON.parse(data).type}`);
        if (event === 'completed' || event === 'failed') {
          renderIntent(JSON.parse(data));
          loadIntents();
        }
      }
    }
  } catch (err) {
    if (err.name !== 'AbortError') status(err.message, true);
  }
}

function renderIntent(view) {
  const result = view.result;
  const rounds = result?.rounds ?? [];
  const policyYamlUrl = `/v1/intents/${encodeURIComponent(view.id)}/policy.yaml`;
  $('#intent-detail').replaceChildren(
    el('h2', {}, view.intent?.text ?? view.id),
    el(
      'p',
      {},
      el('span', { id: 'intent-state', class: `badge state-${view.state}` }, view.state),
      ' ',
      result ? el('span', { class: `badge state-${result.status}` }, result.status) : '',
      ' ',
      el(
        'span',
        { class: 'muted' },
        `created ${view.createdAt.slice(0, 19).replace('T', ' ')}${result ? `, ${result.source}, ${result.usage.totalTokens} tokens, ${(result.durationMs / 1000).toFixed(1)} s` : ''}`,
      ),
    ),
    result
      ? el('p', {}, result.reason)
      : el('p', { class: 'muted' }, `round ${view.progress.round}, ${view.progress.events.at(-1)?.type ?? 'waiting'}`),
    view.error ? el('p', { class: 'error' }, `${view.error.code}: ${view.error.message}`) : '',
    result?.restatement ? el('h3', {}, 'What it does') : '',
    result?.restatement
      ? el(
          'pre',
          { id: 'intent-restatement', class: result.restatement.judged ? 'restatement' : 'restatement unjudged' },
          result.restatement.text,
        )
      : '',
    result?.impact ? el('h3', {}, 'What it would do to the objects sent') : '',
    result?.impact ? renderImpact(result.impact) : '',
    rounds.length ? el('h3', {}, 'Rounds') : '',
    rounds.length
      ? el(
          'table',
          { id: 'intent-rounds' },
          el(
            'tr',
            {},
            el('th', {}, '#'),
            el('th', {}, 'cases'),
            el('th', {}, 'findings'),
            el('th', {}, 'critique'),
            el('th', {}, 'tokens'),
          ),
          ...rounds.map((r) =>
            el(
              'tr',
              {},
              el('td', {}, r.round),
              el(
                'td',
                {},
                r.report?.suite
                  ? `${r.report.suite.total - r.report.suite.failed}/${r.report.suite.total}`
                  : r.error
                    ? 'unusable draft'
                    : '—',
              ),
              el(
                'td',
                {},
                r.report
                  ? el(
                      'ul',
                      { class: 'findings' },
                      ...r.report.findings.map((f) => el('li', { class: f.severity }, `${f.rule}: ${f.message}`)),
                    )
                  : (r.error ?? ''),
              ),
              el(
                'td',
                {},
                r.critique
                  ? `${r.critique.success ? 'accepted' : 'refused'}${r.critique.critique ? `: ${r.critique.critique}` : ''}`
                  : '—',
              ),
              el('td', {}, r.usage?.totalTokens ?? 0),
            ),
          ),
        )
      : '',
    result?.policy
      ? el(
          'h3',
          {},
          'Final policy ',
          el(
            'a',
            { id: 'download-yaml', href: policyYamlUrl, download: `${result.policy.metadata.name}.yaml` },
            'download YAML',
          ),
        )
      : '',
    result?.policy && !result.safeToApply ? el('p', { class: 'error' }, notSafeText(result)) : '',
    result?.policy ? el('h4', {}, 'javascript') : '',
    result?.policy ? highlight(result.policy.spec.javascript ?? '') : '',
    result?.policy ? el('h4', {}, 'JsPolicy YAML') : '',
    result?.policy ? el('pre', { id: 'policy-yaml' }, 'loading…') : '',
  );
  if (result?.policy) {
    fetch(policyYamlUrl, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${r.status}`))))
      .then((yaml) => {
        const pre = $('#policy-yaml');
        if (pre) pre.textContent = yaml;
      })
      .catch((err) => status(`policy YAML: ${err.message}`, true));
  }
}

const number = new Intl.NumberFormat('en-US');

/** Why a result with a policy is not safe to apply: a failed draft, or a verified one the impact preview holds back. */
function notSafeText(result) {
  if (result.status !== 'succeeded') return 'Not safe to apply: the best failed draft, kept for review.';
  if (result.impact?.overThreshold) {
    return 'Not safe to apply as is: verified, but it would deny more of the objects sent than the threshold allows (see above).';
  }
  return `Not safe to apply as is: ${result.reason}`;
}

/** The impact preview (ImpactSummary): the headline as the CLI prints it, then each reason with examples. */
function renderImpact(impact) {
  const n = (x) => number.format(x);
  const objects = `${n(impact.checked)} object${impact.checked === 1 ? '' : 's'}`;
  const headline = `would deny ${n(impact.wouldDeny)} of ${objects}; warn ${n(impact.wouldWarn)}; mutate ${n(impact.wouldMutate)}`;
  const skipped = Object.entries(impact.skipped ?? {});
  return el(
    'section',
    { id: 'intent-impact', class: impact.overThreshold ? 'impact over' : 'impact' },
    el(
      'p',
      { id: 'impact-headline' },
      headline,
      el('span', { class: 'muted' }, ` · ${n(impact.selected)} selected by its match rules`),
    ),
    impact.overThreshold
      ? el(
          'p',
          { id: 'impact-warning', class: 'error' },
          'Above the deny threshold: not safe to enforce as is. Check the reasons below before applying.',
        )
      : '',
    impact.reasons.length
      ? el(
          'table',
          { id: 'impact-reasons' },
          el('tr', {}, el('th', {}, 'verdict'), el('th', {}, 'objects'), el('th', {}, 'reason'), el('th', {}, 'e.g.')),
          ...impact.reasons.map((r) =>
            el(
              'tr',
              { class: r.verdict },
              el('td', {}, r.verdict),
              el('td', {}, n(r.count)),
              el('td', {}, r.reason),
              el('td', {}, el('ul', {}, ...r.examples.map((e) => el('li', {}, e)))),
            ),
          ),
        )
      : '',
    skipped.length
      ? el('p', { class: 'muted' }, `skipped: ${skipped.map(([why, count]) => `${n(count)} × ${why}`).join('; ')}`)
      : '',
    ...(impact.notes ?? []).map((n) => el('p', { class: 'muted' }, `note: ${n}`)),
  );
}

// ---------------------------------------------------------------------------------------------------------

async function start() {
  try {
    await api('/v1/skills?state=approved');
  } catch {
    return; // showLogin() ran
  }
  $('#logout').hidden = false;
  showView(currentView);
}

start();
