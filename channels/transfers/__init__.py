"""The WeCom half of customer transfers: 在职转接 and 离职继承."""
