"""The Bureau of Public Roads link performance function."""


def travel_time(t0, volume, capacity, alpha, beta):
    """Free-flow time t0 grown by the volume/capacity ratio."""
    return t0 * (1 + alpha * (volume / capacity) ** beta)
