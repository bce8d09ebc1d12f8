"""Run the routing service: python -m services.routing."""

from services.run import main

if __name__ == "__main__":
    main("routing")
