// Step 3 shown → strength meter ready, on the speed harness's slow profile (150 ms latency, 1.6 Mbit/s down,
// 750 kbit/s up, CPU ×4, cold cache), for any wizard whose meter is `[data-testid="meter"]` with `aria-valuenow`
// (ours and the React peer's). A strong password is typed as soon as the password field is shown; the meter is
// ready when it rates it (aria-valuenow ≥ 3): the strength code fetched, compiled and run. Prints one JSON line:
// {"runs": [...ms], "p50": ms}. Usage: node meter_ready.mjs STEP3_URL [RUNS]
import { chromium } from 'playwright-core'

const [url, runsArg] = process.argv.slice(2)
const runs = Number(runsArg ?? 5)
const PASSWORD = 'Correct-Cheval-Batterie-42'

async function once() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage()
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8,
    })
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    await page.goto(url, { waitUntil: 'commit' })
    const field = page.locator('input[type="password"]').first()
    await field.waitFor({ state: 'visible', timeout: 60000 })
    const shown = await page.evaluate(() => performance.now())
    await field.fill(PASSWORD)
    await page.waitForFunction(() => {
      const m = document.querySelector('[data-testid="meter"]')
      return m && Number(m.getAttribute('aria-valuenow')) >= 3
    }, null, { timeout: 60000, polling: 'raf' })
    const ready = await page.evaluate(() => performance.now())
    return ready - shown
  } finally {
    await browser.close()
  }
}

const times = []
for (let i = 0; i < runs; i++) times.push(Math.round(await once()))
const sorted = [...times].sort((a, b) => a - b)
console.log(JSON.stringify({ url, runs: times, p50: sorted[Math.floor((sorted.length - 1) / 2)] }))
