"""Media helpers: turning tool arguments into safe local inputs (`inputs`), probing images (`image`),
audio (`audio`) and videos (`video`).

Nothing is imported here on purpose: OpenCV and PyAV are slow to load, and each caller pulls in
only the submodule it needs.
"""
