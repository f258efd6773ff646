"""Object identifiers the platform defines.

INKSEAL_ARC is a PLACEHOLDER private enterprise number (1.3.6.1.4.1.99999 is not registered to
this project). Before production an operator replaces it with their own IANA PEN
(https://www.iana.org/assignments/enterprise-numbers) or a 2.25.<uuid> arc, and reissues the
hierarchy: the policy OIDs are baked into every certificate and time stamp.

    {arc}.1       certificate policies
    {arc}.1.1       personal signing certificates (个人签名证书)
    {arc}.1.2       enterprise signing certificates (企业签名证书)
    {arc}.1.3       enterprise encryption certificates (企业加密证书)
    {arc}.1.4       the seal-making certificate (制章者证书, GB/T 38540 electronic seals)
    {arc}.1.9       certificates of the platform's own services (OCSP, TSA)
    {arc}.2       time-stamp policies
    {arc}.2.1       the TSA's default policy
"""

from __future__ import annotations

INKSEAL_ARC = "1.3.6.1.4.1.99999"

POLICY_PERSONAL_SIGNING = f"{INKSEAL_ARC}.1.1"
POLICY_ENTERPRISE_SIGNING = f"{INKSEAL_ARC}.1.2"
POLICY_ENTERPRISE_ENCRYPTION = f"{INKSEAL_ARC}.1.3"
POLICY_SEAL_MAKER = f"{INKSEAL_ARC}.1.4"
POLICY_SERVICES = f"{INKSEAL_ARC}.1.9"
TSA_POLICY = f"{INKSEAL_ARC}.2.1"

ANY_POLICY = "2.5.29.32.0"
