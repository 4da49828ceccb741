"""``imgsearch serve``: the HTTP API (FastAPI).

``app`` builds the application; ``azure`` holds the endpoints wire-compatible
with Azure AI Vision's ``retrieval:vectorizeImage`` / ``vectorizeText``;
``api`` our own ``/v1`` API; ``fetch`` the SSRF-guarded URL fetcher; ``auth``
API keys; ``errors`` both error envelopes; ``service`` the index and model
behind them; ``settings`` the configuration.
"""

from imgsearch.server.app import create_app
from imgsearch.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
