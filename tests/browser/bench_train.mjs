// In-browser training speed through the page's Train mode (index.html, the
// worker, pkg/): a CycleGAN on the demo domains at the page's default
// settings (resnet_6blocks ngf 32, ndf 32, 128x128 crops of 143x143) or
// given ones, for a number of iterations; prints iterations per second
// (the first iteration, which includes pipeline creation, apart), the longest
// main-thread stall (the page must stay responsive) and, for comparison,
// `trainer` on the same settings and data on this machine's first adapter.
//
// node tests/browser/bench_train.mjs [--iters N] [--ngf N] [--crop N] [--load N] [--net-g NET] [--no-native]

import { execFileSync } from 'node:child_process';
import * as h from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const iters = Number(opt('--iters', 5));
const s = { netG: opt('--net-g', 'resnet_6blocks'), ngf: opt('--ngf', '32'), crop: opt('--crop', '128'), load: opt('--load', '143') };

const server = await h.serve();
const browser = await h.launch();
let page;
let result;
try {
  page = await h.newPage(browser);
  await page.goto(`${server.url}/index.html?view=train&save_every=100000&samples_every=100000`);
  await page.evaluate(() => new Promise((r) => { const q = indexedDB.deleteDatabase('gan-webgpu-train'); q.onsuccess = q.onerror = q.onblocked = () => r(); }));
  await page.selectOption('#train-net-g', s.netG);
  for (const [id, v] of [['#train-ngf', s.ngf], ['#train-ndf', s.ngf], ['#train-crop', s.crop], ['#train-load', s.load], ['#train-stop-at', String(iters)]]) await page.fill(id, v);
  await page.click('#train-demo');
  await page.evaluate(() => {
    window.__stall = { max: 0, last: performance.now() };
    setInterval(() => {
      const now = performance.now();
      window.__stall.max = Math.max(window.__stall.max, now - window.__stall.last);
      window.__stall.last = now;
    }, 10);
    window.__stepTimes = [];
    const t = window.cyclegan.training;
    let seen = 0;
    setInterval(() => {
      const st = t();
      if (st.run && st.run.iteration > seen) {
        seen = st.run.iteration;
        window.__stepTimes.push(performance.now());
      }
    }, 20);
  });
  await page.click('#train-start');
  const r = await (
    await page.waitForFunction(
      (n) => {
        const e = document.querySelector('#error');
        if (!e.hidden) return { error: e.textContent };
        const st = window.cyclegan.training();
        return !st.running && st.run?.iteration >= n ? { stats: document.querySelector('#train-stats').textContent } : false;
      },
      iters,
      { timeout: 3600000, polling: 200 },
    )
  ).jsonValue();
  if (r.error) throw new Error(r.error);
  const times = await page.evaluate(() => window.__stepTimes);
  const stall = await page.evaluate(() => window.__stall.max);
  const rate = times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : NaN;
  result = { rate, stall, stats: r.stats, adapter: await page.textContent('#adapter') };
} catch (e) {
  console.log(`failed: ${e.message}\n${page?.log.slice(-20).join('\n')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}

if (result) {
  const chromium = execFileSync(h.CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\nIn-browser CycleGAN training, ${s.netG} ngf ${s.ngf} ndf ${s.ngf}, ${s.crop}x${s.crop} crops, batch 1, ${chromium}, headless`);
  console.log(`adapter: ${result.adapter}`);
  console.log(`${result.rate.toFixed(3)} it/s over iterations 2-${iters}; main-thread stall max ${Math.round(result.stall)} ms`);
  console.log(`page: ${result.stats}`);
  if (!argv.includes('--no-native')) {
    const dir = h.tempDir('bench-train');
    const flags = ['--checkpoints-dir', dir, '--net-g', s.netG, '--ngf', s.ngf, '--ndf', s.ngf, '--crop-size', s.crop, '--load-size', s.load, '--print-freq', '1', '--display-freq', '100000', '--save-latest-freq', '100000'];
    const trainer = h.trainer();
    const time = (n) => {
      const t0 = Date.now();
      execFileSync(trainer, [...flags, '--name', `bench${n}`, '--max-iters', String(n)], { stdio: 'ignore' });
      return (Date.now() - t0) / 1000;
    };
    // The difference of two runs cancels start-up, demo data and the final save.
    const [one, all] = [time(1), time(iters)];
    console.log(`trainer on this machine's first adapter: ${((iters - 1) / (all - one)).toFixed(3)} it/s over iterations 2-${iters}`);
  }
}
