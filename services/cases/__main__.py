"""Run the cases service: python -m services.cases."""

from services.run import main

if __name__ == "__main__":
    main("cases")
