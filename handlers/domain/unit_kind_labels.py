"""The built-in unit kinds and their labels: plain data, importable by any layer.

:mod:`handlers.domain.vocab` builds the vocabulary (aliases, a deployment's own kinds) on it;
:mod:`handlers.kernel.texts` names a kind by its label with it when no deployment's kinds are
given. This module imports nothing, so the channels' text rendering stays clear of the storage
layer that the vocabulary's folding comes from.
"""

from __future__ import annotations

__all__ = ["UNIT_KINDS"]

#: Kinds of unit under a secretariat, at commune, district and province level: code → label.
UNIT_KINDS: dict[str, str] = {
    "xa_phuong": "Xã/phường",
    "huyen_thi_xa": "Huyện/thị xã/thành phố",
    "so_ban_nganh": "Sở/ban/ngành",
    "co_quan": "Cơ quan",
    "doan_the": "Đoàn thể",
    "doanh_nghiep": "Doanh nghiệp",
    "truong_hoc": "Trường học",
    "benh_vien": "Bệnh viện",
    "khoa_phong": "Khoa/phòng",
    "khac": "Khác",
}
