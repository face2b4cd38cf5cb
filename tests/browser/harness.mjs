// Shared by e2e.mjs and bench.mjs: a static file server for the repository,
// headless Chromium with WebGPU on SwiftShader, and the native tools the
// tests compare against (`trainer` and the `web` crate's examples, built
// with cargo on first use).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** Serves `repo` at / and each `mounts[name]` folder at /name/ on 127.0.0.1. */
export async function serve(mounts = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const parts = decodeURIComponent(url.pathname).split('/').filter(Boolean);
    let root = repo;
    if (parts.length && mounts[parts[0]]) root = mounts[parts.shift()];
    const file = path.join(root, ...parts.filter((p) => p !== '..'));
    fs.stat(file, (err, st) => {
      const target = !err && st.isDirectory() ? path.join(file, 'index.html') : file;
      fs.readFile(target, (err2, data) => {
        if (err2) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found');
          return;
        }
        res.writeHead(200, {
          'content-type': MIME[path.extname(target)] ?? 'application/octet-stream',
          'content-length': data.length,
          'cache-control': 'no-store',
        });
        res.end(data);
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** Flags under which headless Chromium grants a WebGPU adapter (SwiftShader) without a GPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

/** Headless Chromium with (default) or without WebGPU. */
export function launch({ webgpu = true } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...(webgpu ? WEBGPU_ARGS : [])] });
}

/** A page that records console errors and page errors for failure reports. */
export async function newPage(browser) {
  const page = await browser.newPage();
  const log = [];
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => log.push(`worker console.${m.type()}: ${m.text()}`)));
  page.log = log;
  return page;
}

export function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cyclegan-browser-${name}-`));
}

function cargo(args) {
  execFileSync('cargo', args, { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
}

const profile = process.env.CARGO_PROFILE ?? 'debug';
const profileArgs = profile === 'release' ? ['--release'] : [];
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');

/** Path of the native `trainer` binary (built unless $TRAINER names one). */
export function trainer() {
  if (process.env.TRAINER) return process.env.TRAINER;
  cargo(['build', '-q', '-p', 'trainer', ...profileArgs]);
  return path.join(targetDir, profile, 'trainer');
}

let examplesBuilt = false;

/** Path of a native example of the `web` crate (all built on first use). */
function example(name) {
  if (!examplesBuilt) {
    cargo(['build', '-q', '-p', 'web', '--examples', ...profileArgs]);
    examplesBuilt = true;
  }
  return path.join(targetDir, profile, 'examples', name);
}

/**
 * Writes a generator with the reference's random init as safetensors: a
 * ResnetGenerator with `nBlocks` blocks, or with `unet` a UnetGenerator with
 * `numDowns` downsamplings (batch norm and dropout unless `norm`/`dropout`
 * say otherwise); `calibrate` runs that many training-mode passes first so
 * that BatchNorm's running statistics are realistic. With `discriminator`
 * it writes the basic NLayerDiscriminator with ndf `ngf` instead.
 */
export function randomGenerator(
  out,
  { nBlocks = 6, numDowns = 5, unet = false, discriminator = false, ngf = 8, seed = 1, norm, dropout, calibrate = 0 } = {},
) {
  const depth = discriminator ? 3 : unet ? numDowns : nBlocks;
  const args = [out, String(depth), String(ngf), String(seed)];
  if (unet) args.push('--unet');
  if (discriminator) args.push('--discriminator');
  if (norm) args.push('--norm', norm);
  if (dropout !== undefined) args.push(dropout ? '--dropout' : '--no-dropout');
  if (calibrate) args.push('--calibrate', String(calibrate));
  execFileSync(example('random_generator'), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

/**
 * Translates raw RGBA8 pixels natively with the `translate_reference`
 * example (the code path of the browser and `trainer translate`) and
 * writes PNG; `evalMode` for test.py --eval, else test.py's default with
 * dropout `seed`. Returns its stderr.
 */
export function translateReference(weights, rgbaFile, width, height, output, { evalMode = false, seed = 0 } = {}) {
  const args = [weights, rgbaFile, String(width), String(height), output, ...(evalMode ? ['--eval'] : ['--seed', String(seed)])];
  return execFileSync(example('translate_reference'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `trainer translate`; returns its stderr. */
export function trainerTranslate(weights, input, output) {
  return execFileSync(trainer(), ['translate', '--weights', weights, '--input', input, '--output', output], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Opens the app and returns once it is ready or shows an error. */
export async function openApp(page, url) {
  await page.goto(url);
  await page.waitForFunction(
    () => /^Ready/.test(document.querySelector('#status').textContent) || !document.querySelector('#error').hidden,
    null,
    { timeout: 120000 },
  );
}

/** Blanks `#status`, so that a following waitDone sees only a new result. */
export function resetStatus(page) {
  return page.evaluate(() => {
    document.querySelector('#status').textContent = '(test) waiting';
  });
}

/** Waits for `#status` to end in "<n> ms" and returns n; fails fast on `#error`. */
export async function waitDone(page, { timeout = 300000 } = {}) {
  const handle = await page.waitForFunction(
    () => {
      const status = document.querySelector('#status').textContent;
      const error = document.querySelector('#error');
      if (!error.hidden) return { error: error.textContent };
      if (/ ms$/.test(status)) return { status };
      return false;
    },
    null,
    { timeout, polling: 100 },
  );
  const r = await handle.jsonValue();
  if (r.error) throw new Error(`#error: ${r.error}`);
  return Number(/(\d+) ms$/.exec(r.status)[1]);
}

/** The pixels of `#output` as {width, height, rgba}. */
export function outputPixels(page) {
  return page.evaluate(() => {
    const c = document.querySelector('#output');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return { width: c.width, height: c.height, rgba: Array.from(d.data) };
  });
}

/**
 * Named test steps: `step(name, page, fn)` runs fn unless `only` (a RegExp)
 * leaves it out, prints ok (with fn's note) or FAIL (with the page's last log
 * lines) and counts the failures, which `failures()` returns.
 */
export function steps(only) {
  let failed = 0;
  async function step(name, page, fn) {
    if (only && !only.test(name)) return;
    const start = Date.now();
    try {
      const note = await fn();
      console.log(`ok   ${name} (${Date.now() - start} ms)${note ? `: ${note}` : ''}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.message}`);
      if (page) console.log(`     page log:\n       ${page.log.slice(-30).join('\n       ')}`);
    }
  }
  return { step, failures: () => failed };
}
