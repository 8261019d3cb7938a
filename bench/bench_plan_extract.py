"""Time the extraction of a ~30-page plan against reading the same file; target < 2 s.

Usage::

    python bench/bench_plan_extract.py [--pages 30] [--repeat 3]

The plan is synthesised by repeating a sample page written for this benchmark (a dateline,
cited documents, a timetable, quarters, ranges, yearly rules, relative limits, OCR forms) into a
.txt file of about ``--pages`` pages (~3 000 characters a page). The baseline is reading that file
alone (:func:`handlers.io.plan_file.read_plan_file`); the figure is the whole
``read_plan_file`` + :func:`handlers.domain.plan_reader.extract_plan`, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.domain.plan_reader import extract_plan
from handlers.io.plan_file import read_plan_file

__all__ = ["main"]

TARGET_S = 2.0
PAGE = """\
UBND HUYỆN AN BÌNH                 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Số: 21/KH-UBND                            An Bình, ngày 12 tháng 9 năm 2023
KẾ HOẠCH
Tổ chức Hội nghị điển hình tiên tiến các cấp, giai đoạn 2020 - 2025
Căn cứ Kế hoạch số 182/KH-UBND ngày 02/8/2023 của UBND tỉnh; Chỉ thị số 34-CT/TW ngày
07/4/2014 của Bộ Chính trị; kỷ niệm (19/5/1890 - 19/5/2025);
1.2. Mục đích: biểu dương các tập thể, cá nhân tiêu biểu trong các phong trào thi đua.
2.1. Thời gian tổ chức:
- Cấp xã hoàn thành trong quý I năm 2024; cấp huyện hoàn thành trong quý II/2024.
- Từ ngày 21/10 – 23/10/2023: các phòng xây dựng tiêu chuẩn bình chọn.
- Ngày 11/11/2023: Họp Hội đồng Thi đua - Khen thưởng.
- Hội nghị dự kiến tổ chức trong tháng 12/2023, trong 2 ngày 9 - 10.12.2023.
2.2. Hồ sơ:
Các xã gửi hồ sơ về Phòng Nội vụ trước 16g30 ngày 15/11/2023 (01 bộ, kèm tệp điện tử).
Các đơn vị gửi báo cáo chậm nhất ngày 15/3 năm sau và trước ngày 10/8 hằng năm.
Ý kiến gửi về trong thời hạn 10 ngày làm việc kể từ ngày đăng tin; tập huấn trong 02 ngày.
(Thoi gian givi Ke hoach trudc ngay 15/11/2023). Hoan thanh trude ngay
20/3/2024. Tính đến ngày 22/10/2023 đã có 14 đơn vị đăng ký.
3. Tổ chức thực hiện: Phòng Nội vụ theo dõi, đôn đốc, tổng hợp kết quả, báo cáo UBND huyện.
Các cơ quan, đơn vị, doanh nghiệp triển khai thực hiện nghiêm túc kế hoạch này; trong quá
trình thực hiện có vướng mắc, phản ánh về Phòng Nội vụ để tổng hợp, báo cáo UBND huyện.
"""


def _best(work: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when the extraction misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    copies = max(1, args.pages * 3000 // len(PAGE))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.txt"
        path.write_text(PAGE * copies, encoding="utf-8")
        read = _best(lambda: read_plan_file(path), args.repeat)
        whole = _best(lambda: extract_plan(read_plan_file(path)), args.repeat)
        items = len(extract_plan(read_plan_file(path)).items)
    chars = len(PAGE) * copies
    sys.stdout.write(
        f"plan: {chars} characters (~{chars // 3000} pages), {items} items\n"
        f"baseline (read the file):   {read * 1000:8.1f} ms\n"
        f"read + extract:             {whole * 1000:8.1f} ms  (target < {TARGET_S:.0f} s)\n"
    )
    return 0 if whole < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
