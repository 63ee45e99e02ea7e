"""Regions, provinces and cities of the demo data, with the share of customers each one holds.

Regions follow the usual after-sales split of China into seven 大区 (福建 is counted in 华南 and 江西 in
华中, as many service organisations do). Municipalities (北京, 天津, 上海, 重庆) are a province with one city
of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REGIONS: tuple[str, ...] = ("华北", "华东", "华南", "华中", "西南", "西北", "东北")

# region -> province -> [(city, relative weight)]; weights are roughly the city's share of the customers.
_GEOGRAPHY: dict[str, dict[str, list[tuple[str, float]]]] = {
    "华北": {
        "北京": [("北京", 9.0)],
        "天津": [("天津", 4.0)],
        "河北": [("石家庄", 2.5), ("唐山", 1.5), ("保定", 1.5), ("廊坊", 1.0)],
        "山西": [("太原", 1.8), ("大同", 0.7)],
        "内蒙古": [("呼和浩特", 1.0), ("包头", 0.8)],
    },
    "华东": {
        "上海": [("上海", 10.0)],
        "江苏": [("南京", 3.5), ("苏州", 4.0), ("无锡", 2.0), ("常州", 1.5)],
        "浙江": [("杭州", 4.5), ("宁波", 2.5), ("温州", 1.8), ("绍兴", 1.2)],
        "山东": [("济南", 2.5), ("青岛", 3.0), ("烟台", 1.2)],
        "安徽": [("合肥", 2.5), ("芜湖", 1.0)],
    },
    "华南": {
        "广东": [("广州", 6.0), ("深圳", 6.5), ("东莞", 2.5), ("佛山", 2.5)],
        "广西": [("南宁", 1.8), ("桂林", 0.8)],
        "海南": [("海口", 1.0), ("三亚", 0.6)],
        "福建": [("福州", 2.0), ("厦门", 2.0)],
    },
    "华中": {
        "湖北": [("武汉", 4.5), ("宜昌", 1.0), ("襄阳", 1.0)],
        "湖南": [("长沙", 3.5), ("株洲", 1.0), ("岳阳", 0.8)],
        "河南": [("郑州", 3.5), ("洛阳", 1.3), ("新乡", 0.7)],
        "江西": [("南昌", 2.2), ("九江", 0.7), ("赣州", 0.8)],
    },
    "西南": {
        "四川": [("成都", 5.0), ("绵阳", 0.9), ("宜宾", 0.6)],
        "重庆": [("重庆", 3.2)],
        "云南": [("昆明", 2.0), ("大理", 0.6)],
        "贵州": [("贵阳", 1.3), ("遵义", 0.6)],
    },
    "西北": {
        "陕西": [("西安", 3.0), ("宝鸡", 0.6), ("咸阳", 0.6)],
        "甘肃": [("兰州", 1.0), ("天水", 0.3)],
        "宁夏": [("银川", 0.6), ("石嘴山", 0.2)],
        "青海": [("西宁", 0.5), ("海东", 0.2)],
        "新疆": [("乌鲁木齐", 1.0), ("喀什", 0.3)],
    },
    "东北": {
        "辽宁": [("沈阳", 2.5), ("大连", 2.3), ("鞍山", 0.7)],
        "吉林": [("长春", 1.8), ("四平", 0.5)],
        "黑龙江": [("哈尔滨", 2.2), ("大庆", 0.6), ("齐齐哈尔", 0.5)],
    },
}


@dataclass(frozen=True)
class Geography:
    """Flat lookup arrays: one entry per city, plus the names behind each code."""

    regions: tuple[str, ...]
    provinces: tuple[str, ...]
    cities: tuple[str, ...]
    city_province: np.ndarray  # city code -> province code
    city_region: np.ndarray  # city code -> region code
    city_weight: np.ndarray  # city code -> share of customers (sums to 1)

    def region_code(self, name: str) -> int:
        """Code of a region name (raises ValueError for an unknown one)."""
        return self.regions.index(name)

    def cities_of_region(self, region: int) -> np.ndarray:
        """City codes of one region."""
        return np.flatnonzero(self.city_region == region)


def build_geography() -> Geography:
    """The demo geography as flat arrays indexed by city code."""
    provinces: list[str] = []
    cities: list[str] = []
    city_province: list[int] = []
    city_region: list[int] = []
    weights: list[float] = []
    for region_code, region in enumerate(REGIONS):
        for province, city_list in _GEOGRAPHY[region].items():
            provinces.append(province)
            for city, weight in city_list:
                cities.append(city)
                city_province.append(len(provinces) - 1)
                city_region.append(region_code)
                weights.append(weight)
    w = np.asarray(weights, dtype=np.float64)
    return Geography(
        regions=REGIONS,
        provinces=tuple(provinces),
        cities=tuple(cities),
        city_province=np.asarray(city_province, dtype=np.int16),
        city_region=np.asarray(city_region, dtype=np.int8),
        city_weight=w / w.sum(),
    )


GEOGRAPHY = build_geography()
