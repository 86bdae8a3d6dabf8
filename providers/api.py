"""The providers' HTTP API under /api/v1/ (django-ninja); OpenAPI schema at /api/v1/openapi.json."""

from ninja import NinjaAPI

api = NinjaAPI(title="Recertification Portal provider API", version="1", urls_namespace="api-v1")
