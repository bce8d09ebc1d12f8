"""Printing (seed Art 41–43; docs/printing.md): each effective document renders to a PDF
in the layout of its official form, deterministically, with CJK fonts embedded; its
hash goes into the ledger and a verification code on the page leads back to it. The
bound case file (卷宗, Art 42) is `binder.py`."""
