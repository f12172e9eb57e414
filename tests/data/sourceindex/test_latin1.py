# -*- coding: latin-1 -*-
def test_latin():
    assert "café"
