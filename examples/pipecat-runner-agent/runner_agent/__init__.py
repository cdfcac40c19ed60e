"""A minimal inbound Telnyx voice agent on Pipecat's development runner (TeXML)."""
