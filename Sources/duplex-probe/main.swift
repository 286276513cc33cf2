print("duplex-probe")
