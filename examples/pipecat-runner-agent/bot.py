"""Entry point, as in Pipecat's Telnyx examples: ``python bot.py -t telnyx -x <public host>``.

Pipecat's development runner serves ``POST /`` (the TeXML that connects the
call to ``wss://<public host>/ws``), ``/ws`` (the Telnyx media stream, one
``bot()`` per call) and ``GET /status``.
"""

from runner_agent.bot import bot  # noqa: F401  (the runner looks for `bot` in __main__)

if __name__ == "__main__":
    from pipecat.runner.run import main

    main()
