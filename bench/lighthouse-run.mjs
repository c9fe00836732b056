// Every audit of a `python -m bench.lighthouse` run in one Lighthouse process, on one Chromium
// (the CLI started both again for each page and form factor: a second or more each, of 6 runs).
// Called by bench/lighthouse.py:
//
//   node bench/lighthouse-run.mjs <node_modules of the pinned Lighthouse> <jobs JSON>
//
// jobs: {chromePath, chromeFlags, categories, audits: [{url, formFactor, out}]}. Each report is
// written to `out`, as `lighthouse URL --output=json --output-path=OUT --only-categories=…
// --chrome-flags=… [--preset=desktop]` writes it: the same settings (the desktop preset's config
// for "desktop", the default mobile one otherwise). Lighthouse resets the page's storage and
// disables the cache for each run, as on a browser of its own.
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [modules, jobsJson] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(path.join(modules, rel)).href);
const {default: lighthouse} = await load('lighthouse/core/index.js');
const {default: desktopConfig} = await load('lighthouse/core/config/desktop-config.js');
const chromeLauncher = await load('chrome-launcher/dist/index.js');

const jobs = JSON.parse(jobsJson);
const chrome = await chromeLauncher.launch({
  chromePath: jobs.chromePath,
  chromeFlags: jobs.chromeFlags.split(' ').filter(Boolean),
  logLevel: 'silent',
});
try {
  for (const audit of jobs.audits) {
    const flags = {
      port: chrome.port,
      output: 'json',
      onlyCategories: jobs.categories,
      logLevel: 'silent',
    };
    const config = audit.formFactor === 'desktop' ? desktopConfig : undefined;
    const result = await lighthouse(audit.url, flags, config);
    fs.writeFileSync(audit.out, result.report);
  }
} finally {
  await chrome.kill();
}
