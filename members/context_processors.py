from django.conf import settings

from core import site


def portal(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        # The portal's address for absolute links (the request's host in development).
        "SITE_URL": site.site_url(),
    }
