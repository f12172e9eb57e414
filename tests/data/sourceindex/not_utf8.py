def ok():
    return "café"
