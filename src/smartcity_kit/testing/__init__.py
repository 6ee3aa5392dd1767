"""Tools for testing code built on smartcity-kit (install the ``testing`` extra).

:mod:`smartcity_kit.testing.strategies` has hypothesis strategies for every public value type.
"""

__all__: list[str] = []
