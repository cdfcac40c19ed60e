"""A wss:// echo for test_bench_smoke.sh: sends each message back.
Usage: wss_echo.py CERT KEY SECONDS; prints "LISTENING <port>"."""
import asyncio
import ssl
import sys

import websockets


async def echo(ws):
    async for m in ws:
        await ws.send(m)


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    async with websockets.serve(echo, "127.0.0.1", 0, ssl=ctx, max_size=2**20) as srv:
        print("LISTENING", srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(float(sys.argv[3]))


asyncio.run(main())
