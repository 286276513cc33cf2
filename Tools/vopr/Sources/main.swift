print("vopr")
