// Render one report.html in headless Chromium through the DevTools
// protocol (Node's built-in WebSocket, no npm package): collect every
// console error, uncaught exception and log error; read the verdict text
// from the DOM; take a screenshot and count its distinct colours.
//   node --experimental-websocket cdp.js REPORT.html SCREENSHOT.png
// Prints one JSON line: {errors: [...], verdict, colours, width, height}.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const [file, shot] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-chromium-'));
const chrome = spawn(process.env.CHROMIUM || '/usr/bin/chromium', [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--hide-scrollbars', '--remote-debugging-port=0', '--window-size=1200,900', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
chrome.stderr.on('data', (d) => { stderr += d; });

function done(code, out) {
	if (out) console.log(JSON.stringify(out));
	const finish = () => {
		try {
			fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
		} catch (e) { /* a leftover temp folder is not a test failure */ }
		process.exit(code);
	};
	if (chrome.exitCode !== null || chrome.signalCode !== null) return finish();
	chrome.once('exit', finish);
	try { chrome.kill('SIGKILL'); } catch (e) { finish(); }
}
const deadline = setTimeout(() => done(3, { fatal: 'timed out after 40 s', stderr: stderr.slice(-2000) }), 40000);

async function wsUrl() {
	const f = path.join(profile, 'DevToolsActivePort');
	for (let i = 0; i < 200; i++) {
		if (fs.existsSync(f)) {
			const [port, p] = fs.readFileSync(f, 'utf8').trim().split('\n');
			if (port && p) return `ws://127.0.0.1:${port}${p}`;
		}
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('Chromium wrote no DevToolsActivePort: ' + stderr.slice(-1000));
}

// Minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium writes).
function pngColours(buf) {
	let pos = 8, w = 0, h = 0, type = 0;
	const idat = [];
	while (pos < buf.length) {
		const len = buf.readUInt32BE(pos), kind = buf.toString('ascii', pos + 4, pos + 8);
		const data = buf.subarray(pos + 8, pos + 8 + len);
		if (kind === 'IHDR') {
			w = data.readUInt32BE(0); h = data.readUInt32BE(4); type = data[9];
			if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG');
		} else if (kind === 'IDAT') idat.push(data);
		pos += 12 + len;
	}
	const bpp = type === 6 ? 4 : type === 2 ? 3 : 0;
	if (!bpp) throw new Error('unsupported PNG colour type ' + type);
	const raw = zlib.inflateSync(Buffer.concat(idat)), stride = w * bpp;
	let prev = Buffer.alloc(stride);
	const colours = new Set();
	for (let y = 0; y < h; y++) {
		const f = raw[y * (stride + 1)], line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
		for (let i = 0; i < stride; i++) {
			const a = i >= bpp ? line[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
			let add = 0;
			if (f === 1) add = a;
			else if (f === 2) add = b;
			else if (f === 3) add = (a + b) >> 1;
			else if (f === 4) {
				const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
				add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			line[i] = (line[i] + add) & 255;
		}
		for (let x = 0; x < stride; x += bpp) colours.add((line[x] << 16) | (line[x + 1] << 8) | line[x + 2]);
		prev = line;
	}
	return { colours: colours.size, width: w, height: h };
}

(async () => {
	const ws = new WebSocket(await wsUrl());
	await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
	let id = 0;
	const pending = new Map(), errors = [];
	let loaded = null;
	const loadedP = new Promise((r) => { loaded = r; });
	ws.onmessage = (ev) => {
		const m = JSON.parse(ev.data);
		if (m.id && pending.has(m.id)) {
			const { res, rej } = pending.get(m.id);
			pending.delete(m.id);
			if (m.error) rej(new Error(JSON.stringify(m.error)));
			else res(m.result);
			return;
		}
		const p = m.params || {};
		if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
			errors.push('console.' + p.type + ': ' + (p.args || []).map((a) => a.value ?? a.description).join(' '));
		else if (m.method === 'Runtime.exceptionThrown')
			errors.push('exception: ' + (p.exceptionDetails.exception?.description || p.exceptionDetails.text));
		else if (m.method === 'Log.entryAdded' && p.entry.level === 'error')
			errors.push('log: ' + p.entry.text);
		else if (m.method === 'Page.loadEventFired') loaded();
	};
	const send = (method, params = {}, sessionId) => new Promise((res, rej) => {
		const msg = { id: ++id, method, params };
		if (sessionId) msg.sessionId = sessionId;
		pending.set(msg.id, { res, rej });
		ws.send(JSON.stringify(msg));
	});
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
	for (const d of ['Runtime.enable', 'Log.enable', 'Page.enable']) await send(d, {}, sessionId);
	await send('Page.navigate', { url: 'file://' + path.resolve(file) }, sessionId);
	await loadedP;
	await new Promise((r) => setTimeout(r, 300)); // late errors (timers, CSP reports)
	const v = await send('Runtime.evaluate', {
		expression: "(document.getElementById('verdict-text') || {}).textContent || null", returnByValue: true,
	}, sessionId);
	const sec = await send('Runtime.evaluate', {
		expression: "Array.from(document.querySelectorAll('section[id]')).map(s => s.id).join(',')", returnByValue: true,
	}, sessionId);
	const img = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
	const png = Buffer.from(img.data, 'base64');
	if (shot) fs.writeFileSync(shot, png);
	clearTimeout(deadline);
	done(0, { errors, verdict: v.result.value, sections: sec.result.value, ...pngColours(png) });
})().catch((e) => done(4, { fatal: String(e && e.stack || e) }));
