"""The REST API v2: thin FastAPI routers over the domain modules."""
