"""Run the media service: python -m services.media."""

from services.run import main

if __name__ == "__main__":
    main("media")
