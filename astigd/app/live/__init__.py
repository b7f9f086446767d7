"""Live fitting over a WebSocket: authentication, frame messages, latest-wins fitting, advice."""
