"""Run the enforcement service: python -m services.enforcement."""

from services.run import main

if __name__ == "__main__":
    main("enforcement")
