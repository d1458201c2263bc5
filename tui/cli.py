"""placeholder"""
def main() -> None:
    print("hi")
