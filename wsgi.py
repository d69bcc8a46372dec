from mwanzo import create_app

app = create_app()
