"""The Console: server-rendered pages over the same domain functions the API uses."""
