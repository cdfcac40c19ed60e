"""vstress reference agent: a Telnyx + Pipecat voice agent that vstress tests by default."""

__version__ = "0.1.0"
