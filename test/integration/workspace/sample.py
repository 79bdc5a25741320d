"""Points in the plane. Try: npm start -- complete test/integration/workspace/sample.py:9:5"""

import math


def distance(a, b):
    dx = a[0] - b[0]
    dy = a[1] - b[1]
    


def midpoint(a, b):
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
