"""Accept ``Authorization: Bearer <key>`` instead of the default ``Api-Key <key>``.

This is the customisation djangorestframework-api-key documents: subclass
``KeyParser`` with another keyword and plug it into ``HasAPIKey``.
"""

from rest_framework_api_key.permissions import HasAPIKey, KeyParser


class BearerKeyParser(KeyParser):
    keyword = "Bearer"


class HasBearerAPIKey(HasAPIKey):
    key_parser = BearerKeyParser()
