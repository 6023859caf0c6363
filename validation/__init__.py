"""What schemas.py is built from: its custom fields, the validators behind them, the
Unicode tables those read, and the bounds on ids and lists."""
