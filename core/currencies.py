"""ISO 4217 currency codes: the one list the portal checks fees against.

The codes of ISO 4217 List One (current currencies, 2025) that money is charged in. Fund codes
(BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals, bond-market units, the SDR and
the testing and "no currency" codes (X..) other than the regional currencies are left out: no
fee is ever set in them. Withdrawn codes (HRK, SLL, ZWL, CUC, ANG) are left out too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

_CODES = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
    RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
"""
ISO_4217: frozenset[str] = frozenset(_CODES.split())


def currency_problem(code: str) -> str:
    """Why `code` is not a currency a fee can be set in, or "" when it is."""
    if code in ISO_4217:
        return ""
    if code.upper() in ISO_4217:
        return f"Write the currency code in capitals: {code.upper()}, not {code}."
    return (
        f"{code} is not an ISO 4217 currency code; use three capital letters such as USD, "
        "EUR or CAD."
    )


def validate_currency(code: str) -> None:
    """Model and form validator: an ISO 4217 code in capitals."""
    problem = currency_problem(code or "")
    if problem:
        raise ValidationError(problem, code="currency")
