// The Node peer of `make bench` (bench/README.md): N `ws` clients, one
// shared 20 ms tick that sends each a Telnyx-shaped `media` JSON message
// (160 mu-law bytes, base64); echoes are counted.  Lateness = each send's
// time minus the tick's intended time.  Usage: node node_ws.js URL N SECONDS
const WebSocket = require('ws');
const [url, n, secs] = [process.argv[2], +process.argv[3], +process.argv[4]];
const payload = Buffer.alloc(160, 0xff).toString('base64');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const rss0 = process.memoryUsage().rss;
const socks = [];
let open = 0, sent = 0, echoed = 0, rssMid = 0, seq = 0;
const late = new Float64Array(n * Math.ceil(secs * 50) + 1);
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url);
  ws.on('open', () => { if (++open === n) run(); });
  ws.on('message', () => { echoed++; });
  ws.on('error', (e) => { console.error(`node_ws: ${e.message}`); process.exit(1); });
  socks.push(ws);
}
function run() {
  const t0 = now(), c0 = process.cpuUsage(), ticks = secs * 50;
  let k = 0;
  const tick = () => {
    const due = t0 + k * 20;
    for (let i = 0; i < n; i++) {
      socks[i].send(JSON.stringify({event: 'media', sequence_number: String(++seq), stream_id: 's' + i,
        media: {track: 'inbound', chunk: String(k + 1), timestamp: String(k * 20), payload}}));
      late[sent++] = now() - due;
    }
    if (k === ticks >> 1) rssMid = process.memoryUsage().rss;
    if (++k < ticks) setTimeout(tick, Math.max(0, t0 + k * 20 - now()));
    else setTimeout(finish, 500, t0, c0);
  };
  tick();
}
function finish(t0, c0) {
  const c = process.cpuUsage(c0), cpu = (c.user + c.system) / 1e6, wall = (now() - t0) / 1e3;
  const v = late.subarray(0, sent).sort(), pct = (p) => v[Math.min(sent - 1, Math.ceil(p / 100 * sent) - 1)];
  console.log(`NODE n=${n} s=${secs} call_s=${n * secs} cpu_s=${cpu.toFixed(3)} wall_s=${wall.toFixed(2)} ` +
    `cores=${(cpu / wall).toFixed(3)} cs_per_cpus=${(n * secs / cpu).toFixed(1)} late_p50_ms=${pct(50).toFixed(3)} ` +
    `late_p99_ms=${pct(99).toFixed(3)} late_max_ms=${v[sent - 1].toFixed(3)} sent=${sent} echoed=${echoed} ` +
    `accounted_pct=${(100 * echoed / sent).toFixed(3)} rss_kib_per_call=${((rssMid - rss0) / 1024 / n).toFixed(1)}`);
  process.exit(0);
}
