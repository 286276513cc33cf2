print("duplexctl")
