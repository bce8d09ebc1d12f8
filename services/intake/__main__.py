"""Run the intake service: python -m services.intake."""

from services.run import main

if __name__ == "__main__":
    main("intake")
