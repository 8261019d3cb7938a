"""Export file formats: tables drawn as XLSX workbooks and as NĐ 30/2020 Word documents.

:func:`handlers.services.exports.build_export` queries the data (``handlers.queries.export_data``)
and draws it here: ``tables`` turns the data into format-independent tables (every word from
``templates/exports/``), ``xlsx`` draws them as workbooks, ``docx`` as Word documents on the
page of ``word`` with the letterhead and signature of ``nd30``.

========================  =====================================================  ==========
kind                      what                                                   formats
========================  =====================================================  ==========
``progress``              who has sent what, one row per unit                    xlsx, docx
``nominations``           "Danh sách trích ngang", I. Cá nhân / II. Tập thể      xlsx, docx
``delegates``             active delegates grouped by unit                       xlsx, docx
``report``                "Báo cáo tổng hợp tình hình thực hiện kế hoạch"        docx, xlsx
========================  =====================================================  ==========
"""

__all__: list[str] = []
