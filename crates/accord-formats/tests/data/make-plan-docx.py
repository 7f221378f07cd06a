"""Writes plan.docx, the DOCX fixture of `accord import text`, with
python-docx (an independent writer): a title, a preamble, a numbered list
in Word's own list numbering (the numbers are not in the text), one point
with sub-points, a heading without a number, and a table (not read).

    python3 -m venv target/docx && target/docx/bin/pip install python-docx==1.2.0
    target/docx/bin/python crates/accord-formats/tests/data/make-plan-docx.py
"""
import pathlib

import docx

document = docx.Document()
document.add_paragraph("Framework Plan for Peace", style="Title")
document.add_paragraph("The parties accept the following points as the basis of a final agreement.")
points = [
    "The sovereignty of Ukraine is confirmed.",
    "All hostilities cease within 72 hours of signature.",
    "An international mission monitors the {cessation} of hostilities.",
]
for text in points:
    document.add_paragraph(text, style="List Number")
document.add_paragraph("Pending a settlement:", style="List Number")
document.add_paragraph("the line of contact is not changed by force;", style="List Number 2")
document.add_paragraph("no change of territory made by force is recognised.", style="List Number 2")
document.add_heading("Final provisions", level=1)
document.add_paragraph("This plan enters into force on signature.", style="List Number")
table = document.add_table(rows=1, cols=2)
table.rows[0].cells[0].text = "Annex"
table.rows[0].cells[1].text = "Not a provision"
document.core_properties.author = "Accord test fixture"
out = pathlib.Path(__file__).with_name("plan.docx")
document.save(out)
print(out)
