"""Labelling your own units: the local annotation page (``stanceframe annotate``) and the exchange with
Label Studio and doccano (``stanceframe labels export`` / ``labels import``).

``queue`` reads the units to label, ``store`` keeps the answers on disk, ``page`` builds what the page shows,
``server`` serves it on 127.0.0.1, ``exchange`` converts to and from the two annotation tools' formats.
"""
