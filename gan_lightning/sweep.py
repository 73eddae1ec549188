"""The former name of `python -m gan_lightning.sweep_report <sweep folder>`, kept so old commands work."""

from gan_lightning.sweep_report import main

if __name__ == "__main__":
    main()
