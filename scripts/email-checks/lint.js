// Lints digest HTML against the caniemail database for Gmail, Outlook and
// Apple Mail. Fails on any error, and on any warning that the template does
// not accept with a reason (`lint-ok:` lines in templates/style.rs). An
// error is accepted only for a feature whose absence is the intended
// fallback, with a `lint-ok-error:` line giving the reason.
//
// usage: node lint.js STYLE_RS FILE.html...
'use strict';
const fs = require('fs');
const { doIUseEmail } = require('@jsx-email/doiuse-email');

const CLIENTS = ['gmail.*', 'outlook.*', 'apple-mail.*'];

const [styleFile, ...files] = process.argv.slice(2);
if (!styleFile || files.length === 0) {
  console.error('usage: node lint.js STYLE_RS FILE.html...');
  process.exit(2);
}
const accepted = new Map();
const acceptedErrors = new Map();
for (const line of fs.readFileSync(styleFile, 'utf8').split('\n')) {
  const m = line.match(/lint-ok: `([^`]+)` — (.*)$/);
  if (m) accepted.set(m[1], m[2]);
  const e = line.match(/lint-ok-error: `([^`]+)` — (.*)$/);
  if (e) acceptedErrors.set(e[1], e[2]);
}
const featureOf = (message) => {
  const m = message.match(/^`([^`]+)` is .* by `([^`]+)`$/);
  return m ? m[1] : message;
};
const errorsAccepted = new Map();

let failed = false;
const seen = new Map();
for (const file of files) {
  const result = doIUseEmail(fs.readFileSync(file, 'utf8'), { emailClients: CLIENTS });
  const errors = [...new Set(result.errors || [])].filter((e) => {
    const f = featureOf(e);
    if (!acceptedErrors.has(f)) return true;
    errorsAccepted.set(f, acceptedErrors.get(f));
    return false;
  });
  // "`margin` is only partially supported by `outlook.windows`" → feature, client
  const byFeature = new Map();
  for (const w of result.warnings) {
    const m = w.match(/^`([^`]+)` is .* by `([^`]+)`$/);
    const feature = m ? m[1] : w;
    if (!byFeature.has(feature)) byFeature.set(feature, new Set());
    if (m) byFeature.get(feature).add(m[2]);
  }
  const unexplained = [...byFeature.keys()].filter((f) => !accepted.has(f));
  console.log(`${file}: ${errors.length} errors, ${byFeature.size} kinds of warning, ${unexplained.length} unexplained`);
  for (const e of errors) console.log(`  error: ${e}`);
  for (const f of unexplained) console.log(`  unexplained warning: \`${f}\` in ${[...byFeature.get(f)].join(', ')}`);
  for (const [f, clients] of byFeature) {
    if (!seen.has(f)) seen.set(f, new Set());
    for (const c of clients) seen.get(f).add(c);
  }
  if (errors.length > 0 || unexplained.length > 0) failed = true;
}
for (const [f, clients] of seen) {
  if (accepted.has(f)) console.log(`accepted: \`${f}\` (${[...clients].join(', ')}): ${accepted.get(f)}`);
}
for (const [f, reason] of errorsAccepted) console.log(`accepted error: \`${f}\`: ${reason}`);
if (failed) {
  console.error('email lint: failed (errors, or warnings without a `lint-ok:` reason in templates/style.rs)');
  process.exit(1);
}
console.log('email lint: no errors for Gmail, Outlook and Apple Mail; every warning is explained in the template');
