"""The portal's date formats (FORMAT_MODULE_PATH): what members of US credentialing bodies read.

Templates use |date:"SHORT_DATE_FORMAT"; Python uses core.formatting.format_date. Change a format
here and every page, PDF and email follows.
"""

DATE_FORMAT = "m/d/Y"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
